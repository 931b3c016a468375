import type { AuthErrorCode } from './errors.js';
import type { LockManagerLike } from './refresh-lock.js';
import type { RequestAuth } from './request-auth.js';
import type { CompletedLogin, MfaChallenge, SecondFactorProof } from './second-factor.js';

/** The signed-in user as returned by `GET /api/auth/me` (DESIGN.md §5). */
export interface AuthUser {
  readonly id: string;
  readonly email: string;
  /** Whether the user followed a link mailed to `email` (absent from older servers). */
  readonly email_verified?: boolean;
  readonly name: string | null;
  readonly roles: readonly string[];
  /** Space-separated OAuth scopes (RFC 6749 §3.3). */
  readonly scope: string;
}

/** `undefined` while resolving, `null` when logged out, the user when logged in. */
export type UserState = AuthUser | null | undefined;

/** How the auth server hands out the access token: HttpOnly cookies or a JSON body. */
export type Delivery = 'cookie' | 'body';

/** Email and password for `POST /api/auth/login`. */
export interface Credentials {
  readonly email: string;
  readonly password: string;
}

/** What `signUp` sends: the account's address, password and (optional) display name. */
export interface SignUpDetails extends Credentials {
  readonly name?: string;
}

/** Time and timers, injectable so tests can drive expiry without sleeping. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** An access token held by the client in body delivery. */
export interface StoredToken {
  readonly accessToken: string;
  /** Expiry in milliseconds since the Unix epoch, or null when unknown. */
  readonly expiresAt: number | null;
}

/** Where body delivery keeps the access token. */
export interface TokenStorage {
  load(): StoredToken | null;
  save(token: StoredToken): void;
  clear(): void;
}

/** Built-in token storages: memory (default, gone on reload), sessionStorage, localStorage. */
export type StorageKind = 'memory' | 'session' | 'local';

/** Paths (or absolute URLs) of the auth server's endpoints. */
export interface AuthEndpoints {
  readonly login: string;
  readonly refresh: string;
  readonly logout: string;
  readonly me: string;
  /** Ends every session of the user (`logoutEverywhere`). */
  readonly logoutAll: string;
  /** Creates an account (`signUp`); the account calls of `createAccountApi` live beside it. */
  readonly signup: string;
  /** Finishes a login's second step (`completeLogin`). */
  readonly loginMfa: string;
  /** Proves the user again for step-up (`reauthenticate`). */
  readonly reauthenticate: string;
}

/** Why the client considers the user logged out. */
export type UnauthenticatedReason =
  /** `logout()` was called in this tab. */
  | 'logout'
  /** Another tab logged out. */
  | 'other_tab'
  /** The auth server refused to refresh the session (expired, revoked, reused). */
  | 'session_ended'
  /** There was no session to begin with (`/me` or the first refresh said so). */
  | 'anonymous';

/** Payload of the `unauthenticated` event. */
export interface UnauthenticatedEvent {
  readonly reason: UnauthenticatedReason;
  /** The server's problem `code` when it gave one (e.g. `session_revoked`). */
  readonly code?: AuthErrorCode;
}

/** Events of an {@link AuthClient} and their payloads. */
export interface AuthEventMap {
  /** A user became known: after login, a successful `/me`, or a login in another tab. */
  readonly authenticated: AuthUser;
  /** The session ended or there is none. */
  readonly unauthenticated: UnauthenticatedEvent;
  /** The access token's expiry changed (ms since epoch), or became unknown (null). */
  readonly expiry: number | null;
}

/** Options of {@link createAuthClient}. Every field is optional. */
export interface AuthClientConfig {
  /** Base URL of the auth server; default '' (the page's own origin). */
  readonly baseUrl?: string;
  /** Token delivery; default 'cookie' (HttpOnly cookies, XSRF header on unsafe methods). */
  readonly delivery?: Delivery;
  /**
   * Origins (`https://api.example.com`) or URL prefixes (`https://api.example.com/v1/`, `/api/`)
   * whose requests get credentials. Default: the page's origin. The auth server's origin is
   * always allowed.
   */
  readonly allowedUrls?: readonly string[];
  /** Origins or URL prefixes that never get credentials, even when allowed. Wins over allowed. */
  readonly blockedUrls?: readonly string[];
  /**
   * Override endpoint paths; defaults are `/api/auth/{login,refresh,logout,me,logout-all,
   * signup,login/mfa,reauthenticate}`.
   */
  readonly endpoints?: Partial<AuthEndpoints>;
  /** Body delivery only: where to keep the access token; default 'memory'. */
  readonly storage?: StorageKind | TokenStorage;
  /** Key used by session/local storage; default 'jotauth.token'. */
  readonly storageKey?: string;
  /** Default 'XSRF-TOKEN'. */
  readonly xsrfCookieName?: string;
  /** Default 'X-XSRF-TOKEN'. */
  readonly xsrfHeaderName?: string;
  /** Refresh this long before expiry (capped at a quarter of the remaining life); default 30. */
  readonly refreshBeforeSeconds?: number;
  /** Random per-tab head start (ms) so tabs do not refresh at the same instant; default 2000. */
  readonly refreshJitterMs?: number;
  /**
   * Cross-tab coordination: one tab refreshes at a time (Web Locks) and the tabs hear of each
   * other's login, refresh and logout (BroadcastChannel). A string names the channel (and the
   * lock, `<name>.refresh`). Default true ('jotauth').
   */
  readonly crossTab?: boolean | string;
  /** The Web Locks manager; default `navigator.locks`, null for none (in-tab single flight only). */
  readonly locks?: LockManagerLike | null;
  /** The fetch implementation; default the global fetch. */
  readonly fetch?: typeof fetch;
  /** Time source and timers; default Date.now and the global timers. */
  readonly clock?: Clock;
}

/** A browser client for one jotauth auth server. Create it with {@link createAuthClient}. */
export interface AuthClient {
  /** The current user state (see {@link UserState}). */
  readonly user: UserState;
  /** Access-token expiry in ms since epoch, or null when unknown. */
  readonly expiresAt: number | null;
  /**
   * Log in; resolves with the user, rejects with an `AuthError` (`invalid_credentials`,
   * `throttled`…). A user with second factors gets no session yet: the promise rejects with
   * code `mfa_required` and the error's `mfa` (also {@link AuthClient.secondStep}) names the methods;
   * finish with {@link AuthClient.completeLogin}. Users without factors see no change.
   */
  login(credentials: Credentials): Promise<AuthUser>;
  /**
   * POST `body` (plus `delivery`) to an auth endpoint that answers with the normal login
   * response, and start that session: what `login` does, for other first factors (passkeys).
   * Rejects like `login`, `mfa_required` included.
   */
  loginWith(url: string, body: Record<string, unknown>): Promise<AuthUser>;
  /** The second step the last login or re-authentication asked for, or null. */
  readonly secondStep: MfaChallenge | null;
  /**
   * Finish the pending second step with a TOTP or recovery code, or a passkey assertion.
   * A wrong code rejects with `second_factor_invalid` and the step stays pending (a few tries);
   * an expired or used-up step rejects (`mfa_token_invalid`…) and is gone: log in again.
   */
  completeLogin(proof: SecondFactorProof): Promise<CompletedLogin>;
  /**
   * Prove the signed-in user again (step-up, before factor management or a password change,
   * after a 403 `insufficient_user_authentication`). Resolves with the user when the session
   * is fresh again; a user with second factors gets `mfa_required`, finished by `completeLogin`.
   */
  reauthenticate(options?: { readonly password?: string }): Promise<AuthUser>;
  /**
   * Create an account. Resolves with the user when the server signed it in at once, or with
   * null when the answer is "check your mail" (the server verifies addresses first, or answers
   * every sign-up alike so the form tells nobody which addresses are registered). Rejects with
   * an `AuthError` (`weak_password`, `user_exists`, `too_many_attempts`…).
   */
  signUp(details: SignUpDetails): Promise<AuthUser | null>;
  /** End the session on the server and in every tab. Local state is cleared even if the server is unreachable. */
  logout(): Promise<void>;
  /**
   * End every session of the user (every device) at the `logoutAll` endpoint, then this one
   * as {@link AuthClient.logout} does. Rejects with `logout_all_failed` when the server
   * refuses for another reason than "no session" (401); the local session then stays.
   */
  logoutEverywhere(): Promise<void>;
  /** The cached user from `/me` (refreshing once on 401): the user, or null when logged out. */
  getUser(options?: { readonly force?: boolean }): Promise<AuthUser | null>;
  /** Listen to user state changes; called at once with the current state. Returns an unsubscribe function. */
  subscribe(listener: (user: UserState) => void): () => void;
  /** Listen to an event. Returns an unsubscribe function. */
  on<K extends keyof AuthEventMap>(event: K, listener: (value: AuthEventMap[K]) => void): () => void;
  /** `fetch` that adds credentials for allowed URLs and refreshes once on 401, then retries. */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /**
   * Refresh the access token now. Concurrent calls share one request. Resolves true when
   * refreshed, false when the server ended the session (the client is then logged out);
   * rejects with an `AuthError` when the server could not be reached or answered 5xx.
   */
  refresh(): Promise<boolean>;
  /** How tokens travel: 'cookie' (HttpOnly cookies) or 'body' (Bearer header). */
  readonly delivery: Delivery;
  /**
   * The request decisions the adapters share (credentials, refresh before sending, which 401s
   * refresh, one retry): framework interceptors implement its small port and follow it.
   */
  readonly requests: RequestAuth;
  /** Credential headers for a request to `url` (empty for URLs not allowed), for other HTTP libraries. */
  authHeaders(url: string, method?: string): Record<string, string>;
  /** Whether a request to `url` may carry credentials (allowed and not blocked). */
  isAllowedUrl(url: string): boolean;
  /** The resolved endpoint URLs. */
  readonly endpoints: AuthEndpoints;
  /** Which auth endpoint `url` is (query and fragment ignored), or null. */
  matchEndpoint(url: string): keyof AuthEndpoints | null;
  /** Stop timers and close the cross-tab channel. */
  dispose(): void;
}
