import type { IHttpResponse, IHttpService } from 'angular';
import type { JotAuthRequestConfig } from './types.js';

/**
 * A `fetch` for @jotauth/client that sends through AngularJS `$http`, so the client's own calls
 * (login, refresh, /me, logout) go through the app's `$http` stack — and through `$httpBackend`
 * in tests. They are marked `jotauth.skip` so the jotauth interceptor does not handle them twice.
 * Bodies and responses pass through untransformed; a response without a status (network error,
 * abort) rejects with a TypeError, as fetch does.
 */
export function createHttpFetch(getHttp: () => IHttpService): typeof fetch {
  return async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const request = typeof input === 'string' || input instanceof URL ? null : input;
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    new Headers(init.headers ?? request?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = init.body ?? (request && method !== 'GET' && method !== 'HEAD' ? await request.text() : undefined);
    const config: JotAuthRequestConfig = {
      method,
      url,
      headers,
      data: body,
      withCredentials: (init.credentials ?? request?.credentials) === 'include',
      transformRequest: (data: unknown) => data,
      transformResponse: (data: unknown) => data,
      jotauth: { skip: true },
    };
    // Handlers go on at once: ngMock's flush() can settle $http before an `await` would attach them.
    const sent = new Promise<IHttpResponse<unknown>>((resolve, reject) => {
      getHttp()(config).then(resolve, reject);
    });
    try {
      return toResponse(await sent);
    } catch (rejection) {
      if (isHttpResponse(rejection) && rejection.status >= 200) return toResponse(rejection);
      throw new TypeError(`network error: ${method} ${url}`, { cause: rejection });
    }
  };
}

function toResponse(response: IHttpResponse<unknown>): Response {
  const headers = new Headers(response.headers());
  const { status, data } = response;
  let body: string | null = null;
  if (status !== 204 && status !== 205 && status !== 304 && data !== null && data !== undefined && data !== '') {
    body = typeof data === 'string' ? data : JSON.stringify(data);
    if (typeof data !== 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  return new Response(body, { status, headers });
}

function isHttpResponse(value: unknown): value is IHttpResponse<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { status?: unknown }).status === 'number' &&
    typeof (value as { headers?: unknown }).headers === 'function'
  );
}
