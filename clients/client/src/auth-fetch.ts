import type { UrlPolicy } from './url-policy.js';

/** What the auth-aware fetch needs from the client. */
export interface AuthFetchDeps {
  readonly fetch: typeof fetch;
  readonly policy: UrlPolicy;
  /** Credential headers for a method (see credentials.ts). */
  readonly credentialHeaders: (method: string) => Record<string, string>;
  /** The current token generation. */
  readonly generation: () => number;
  /** After a 401 for a request sent at a generation: true to retry, false to give up. */
  readonly recoverFrom401: (sentGeneration: number) => Promise<boolean>;
  /** Login, refresh and logout are never refreshed-and-retried. */
  readonly isAuthEndpoint: (url: string) => boolean;
  /** True when the held token is already known to be expired (refresh before sending). */
  readonly tokenKnownExpired: () => boolean;
}

/**
 * A `fetch` that adds credentials for allowed URLs only and, on a 401, recovers once (one
 * refresh for every request that fails at the same time) and resends. URLs that are not
 * allowed pass through untouched: no header, no refresh.
 */
export function createAuthFetch(deps: AuthFetchDeps): typeof fetch {
  return async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const request = typeof input === 'string' || input instanceof URL ? null : input;
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!deps.policy.allows(url)) return deps.fetch(input, init);
    const method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    if (deps.tokenKnownExpired()) await deps.recoverFrom401(deps.generation()); // skip a sure 401
    const send = (): Promise<Response> => {
      const headers = new Headers(init.headers ?? request?.headers);
      for (const [name, value] of Object.entries(deps.credentialHeaders(method))) {
        if (!headers.has(name)) headers.set(name, value); // an explicit header from the caller wins
      }
      // A Request body can be read once: send a clone so the original is there for the retry.
      return deps.fetch(request ? request.clone() : input, { ...init, headers });
    };
    const sentGeneration = deps.generation();
    const response = await send();
    if (response.status !== 401 || deps.isAuthEndpoint(url)) return response;
    if (!(await deps.recoverFrom401(sentGeneration))) return response;
    return send(); // a second 401 is final: no refresh loop
  };
}
