import type { RequestAuth, RequestPort } from './request-auth.js';

/** A fetch call as the port sees it: the arguments, with the headers already a `Headers`. */
interface FetchCall {
  readonly input: RequestInfo | URL;
  readonly init: RequestInit;
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
}

const fetchPort: RequestPort<FetchCall> = {
  url: (call) => call.url,
  method: (call) => call.method,
  hasHeader: (call, name) => call.headers.has(name),
  authorize(call, added, withCookies) {
    const headers = new Headers(call.headers);
    for (const [name, value] of Object.entries(added)) headers.set(name, value);
    const credentials = call.init.credentials ?? (withCookies ? 'include' : undefined);
    return { ...call, headers, init: credentials ? { ...call.init, credentials } : call.init };
  },
};

function fetchCall(input: RequestInfo | URL, init: RequestInit): FetchCall {
  const request = typeof input === 'string' || input instanceof URL ? null : input;
  return {
    input,
    init,
    url: typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
    method: (init.method ?? request?.method ?? 'GET').toUpperCase(),
    headers: new Headers(init.headers ?? request?.headers),
  };
}

/**
 * The fetch adapter of {@link RequestAuth}: a `fetch` that adds credentials for covered URLs
 * and, on a 401 the core calls recoverable, resends once. Other URLs pass through untouched.
 */
export function createAuthFetch(auth: RequestAuth, fetchImpl: typeof fetch): typeof fetch {
  const send = (call: FetchCall): Promise<Response> => {
    const { input } = call;
    // A Request body can be read once: send a clone so the original is there for the retry.
    const body = typeof input === 'string' || input instanceof URL ? input : input.clone();
    return fetchImpl(body, { ...call.init, headers: call.headers });
  };
  return async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const call = fetchCall(input, init);
    if (!auth.covers(call.url)) return fetchImpl(input, init);
    await auth.beforeSend();
    const first = auth.authorize(fetchPort, call, false);
    const response = await send(first.request);
    if ((await auth.settle(first.attempt, response.status)) !== 'retry') return response;
    return send(auth.authorize(fetchPort, call, true).request);
  };
}
