import {
  HttpErrorResponse,
  type HttpEvent,
  type HttpInterceptorFn,
  type HttpRequest,
} from '@angular/common/http';
import { inject } from '@angular/core';
import type { AuthClient } from '@jotauth/client';
import { catchError, from, type Observable, switchMap, throwError } from 'rxjs';

import { JOTAUTH_CLIENT, JOTAUTH_CONFIG } from './config.js';

/**
 * Adds credentials to HttpClient requests for allowed URLs and recovers from one 401.
 *
 * - Only URLs the client allows (allowed list minus blocked list, matched on the parsed
 *   origin) get anything: a Bearer token must never reach a third party (RFC 6750 §5.3).
 * - Body delivery: `Authorization: Bearer …`. Cookie delivery: `withCredentials` (so a
 *   cross-origin API gets its cookies) and `X-XSRF-TOKEN` on unsafe methods. Angular's own
 *   XSRF interceptor skips cross-origin URLs, so the header is added here for those too.
 * - A 401 triggers one refresh shared by every failing request (single flight in
 *   @jotauth/client), then one retry with the new credentials. A refused refresh ends the
 *   session (the client logs out and emits `unauthenticated`) and the original error is
 *   passed on; a second 401 is final, so there is never a refresh loop.
 */
export const authInterceptor: HttpInterceptorFn = (request, next) => {
  const client = inject(JOTAUTH_CLIENT);
  if (!client.isAllowedUrl(request.url)) {
    return next(request);
  }
  const cookieDelivery = (inject(JOTAUTH_CONFIG).delivery ?? 'cookie') === 'cookie';
  const send = (): Observable<HttpEvent<unknown>> =>
    next(withCredentials(request, client, cookieDelivery));
  if (client.isAuthEndpoint(request.url)) {
    return send();
  }
  const sentGeneration = client.generation;
  return send().pipe(
    catchError((error: unknown) => retryAfterRefresh(error, client, sentGeneration, send)),
  );
};

function withCredentials(
  request: HttpRequest<unknown>,
  client: AuthClient,
  cookieDelivery: boolean,
): HttpRequest<unknown> {
  const setHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(client.authHeaders(request.url, request.method))) {
    // An explicit header set by the caller wins.
    if (!request.headers.has(name)) setHeaders[name] = value;
  }
  return request.clone({ setHeaders, withCredentials: cookieDelivery || request.withCredentials });
}

function retryAfterRefresh(
  error: unknown,
  client: AuthClient,
  sentGeneration: number,
  send: () => Observable<HttpEvent<unknown>>,
): Observable<HttpEvent<unknown>> {
  if (!(error instanceof HttpErrorResponse) || error.status !== 401) {
    return throwError(() => error);
  }
  return from(client.recoverFrom401(sentGeneration)).pipe(
    switchMap((recovered) => (recovered ? send() : throwError(() => error))),
  );
}
