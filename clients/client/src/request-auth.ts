import type { UrlPolicy } from './url-policy.js';

/**
 * What an adapter tells the shared request core about its framework's request type `R`
 * (a fetch `Request` + init, an Angular `HttpRequest`, an AngularJS `$http` config). The core
 * decides; the port only reads and writes the request.
 */
export interface RequestPort<R> {
  url(request: R): string;
  method(request: R): string;
  /** Whether the request already carries header `name` (case-insensitive): the caller's own wins. */
  hasHeader(request: R, name: string): boolean;
  /** `request` with `headers` added and, when `withCookies`, cookies sent cross-origin too. */
  authorize(request: R, headers: Readonly<Record<string, string>>, withCookies: boolean): R;
}

/** One sending of a request: what the core needs to judge its response. */
export interface Attempt {
  readonly url: string;
  /** The token generation the request left with (see {@link RequestAuth.settle}). */
  readonly generation: number;
  /** This is the one resend after a refresh: a 401 now is final. */
  readonly isRetry: boolean;
}

/**
 * What to do with a response:
 * - `pass`: hand it to the caller as it is (not a 401, not our server, or an auth endpoint);
 * - `retry`: a fresh token is here; send the request once more (through `authorize` again);
 * - `refused`: a 401 the session could not fix (the retry's, or the refresh was unavailable);
 *   the session itself lives on;
 * - `signed_out`: the refresh was refused and the client has ended the session (and said so).
 */
export type Verdict = 'pass' | 'retry' | 'refused' | 'signed_out';

/**
 * The decisions every adapter (the client's own `fetch`, the Angular and the AngularJS
 * interceptor) makes about a request, in one place so they cannot drift: which URLs get
 * credentials and which headers, when to refresh before sending, which 401s refresh, and that
 * a request is retried at most once.
 */
export interface RequestAuth {
  /** Whether requests to `url` get credentials and 401 handling; others pass untouched. */
  covers(url: string): boolean;
  /**
   * Null when credentials are ready; else a promise that settles once the refresh started
   * because the held token is already known to be expired is done (it spares a sure 401).
   * Never rejects.
   */
  beforeSend(): Promise<void> | null;
  /** The request with credentials added (for covered URLs), and its {@link Attempt}. */
  authorize<R>(port: RequestPort<R>, request: R, isRetry: boolean): { request: R; attempt: Attempt };
  /** Judge the response status of an attempt; refreshes (single flight) when that can help. */
  settle(attempt: Attempt, status: number): Promise<Verdict>;
}

/** What the core reads from the client. */
export interface RequestAuthDeps {
  readonly policy: UrlPolicy;
  /** Cookie delivery: allowed cross-origin requests carry the cookies too. */
  readonly withCookies: boolean;
  /** Credential headers for a method (see credentials.ts). */
  readonly credentialHeaders: (method: string) => Record<string, string>;
  /** The current token generation: it changes with every new access token. */
  readonly generation: () => number;
  /** Login, refresh and logout: their 401 is an answer (a wrong password), never refreshed. */
  readonly isAuthEndpoint: (url: string) => boolean;
  /** True when the held token is already known to be expired. */
  readonly tokenKnownExpired: () => boolean;
  /** Refresh (single flight): true refreshed, false session ended; rejects when unreachable. */
  readonly refresh: () => Promise<boolean>;
  /** Whether a user is (still) known: false once the client has ended the session. */
  readonly signedOut: () => boolean;
}

/** Build the request core over the client's state. */
export function createRequestAuth(deps: RequestAuthDeps): RequestAuth {
  const refreshQuietly = (): Promise<boolean> => deps.refresh().catch(() => false);
  return {
    covers: (url) => deps.policy.allows(url),
    beforeSend: () => (deps.tokenKnownExpired() ? refreshQuietly().then(() => undefined) : null),
    authorize(port, request, isRetry) {
      const url = port.url(request);
      const attempt: Attempt = { url, generation: deps.generation(), isRetry };
      if (!deps.policy.allows(url)) return { request, attempt };
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(deps.credentialHeaders(port.method(request)))) {
        if (!port.hasHeader(request, name)) headers[name] = value; // an explicit header wins
      }
      return { request: port.authorize(request, headers, deps.withCookies), attempt };
    },
    async settle(attempt, status) {
      if (status !== 401 || !deps.policy.allows(attempt.url) || deps.isAuthEndpoint(attempt.url)) {
        return 'pass';
      }
      if (attempt.isRetry) return 'refused'; // a second 401 is final: no refresh loop
      // A token newer than the one the request left with: just resend with it.
      if (attempt.generation !== deps.generation() || (await refreshQuietly())) return 'retry';
      return deps.signedOut() ? 'signed_out' : 'refused';
    },
  };
}
