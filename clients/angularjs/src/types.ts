import type { IPromise, IRequestConfig } from 'angular';
import type {
  Attempt,
  AuthClient,
  AuthClientConfig,
  AuthUser,
  CompletedLogin,
  Credentials,
  MfaChallenge,
  SecondFactorProof,
  SignUpDetails,
  UnauthenticatedEvent,
} from '@jotauth/client';
import type { MfaApi } from '@jotauth/client/mfa';
import type { PasskeyApi } from '@jotauth/client/passkeys';

/** An API of @jotauth/client with every promise an AngularJS `$q` promise. */
export type InQ<T> = {
  readonly [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => IPromise<R> : T[K];
};

/** `$rootScope.user`: null while resolving, false when logged out, the user when logged in. */
export type RootScopeUser = AuthUser | false | null;

declare module 'angular' {
  interface IRootScopeService {
    /** Set by the `jotauth` module (see {@link RootScopeUser}). */
    user?: RootScopeUser;
  }
}

/** Payload of `$unauthenticated`: the client's event, or a request the server kept refusing. */
export type JotAuthUnauthenticated =
  | UnauthenticatedEvent
  | { readonly reason: 'request_refused'; readonly status: number; readonly url: string };

/** Per-request bookkeeping the `jotauth` interceptor keeps on `$http` configs. */
export interface JotAuthMarks {
  /** The request was made by @jotauth/client itself: the interceptor leaves it alone. */
  readonly skip?: boolean;
  /** How the request left, for the request core to judge its response (see `RequestAuth.settle`). */
  readonly attempt?: Attempt;
  /** Header names the interceptor added, replaced on the retry. */
  readonly added?: readonly string[];
  /** This is the one retry after a refresh: a 401 now is final. */
  readonly retried?: boolean;
}

/** An `$http` config that may carry {@link JotAuthMarks}. */
export interface JotAuthRequestConfig extends IRequestConfig {
  jotauth?: JotAuthMarks;
}

/** The `$auth` service. */
export interface AuthService {
  /** The underlying @jotauth/client instance (for `fetch`, `expiresAt`, events…). */
  readonly client: AuthClient;
  /** The cached user from `/me` (one request for many callers); rejected with code `unauthenticated` when logged out. */
  getUser(): IPromise<AuthUser>;
  /**
   * Log in; rejects with an AuthError (`invalid_credentials`, `too_many_attempts`… with
   * `retryAfter`). A user with second factors: rejects with code `mfa_required` (the error's
   * `mfa`, also {@link AuthService.secondStep}); finish with {@link AuthService.completeLogin}.
   */
  login(credentials: Credentials): IPromise<AuthUser>;
  /** Finish the pending second step with a TOTP or recovery code, or a passkey assertion. */
  completeLogin(proof: SecondFactorProof): IPromise<CompletedLogin>;
  /** Prove the signed-in user again (step-up); `mfa_required` for a user with second factors. */
  reauthenticate(options?: { readonly password?: string }): IPromise<AuthUser>;
  /** The second step a login or re-authentication asked for, or null. */
  secondStep(): MfaChallenge | null;
  /** Second factors: MFA status, TOTP set-up and removal, recovery codes (`@jotauth/client/mfa`). */
  readonly mfa: InQ<MfaApi>;
  /** Passkeys: register, list, rename, remove, sign in (`@jotauth/client/passkeys`). */
  readonly passkeys: InQ<PasskeyApi>;
  /** Create an account: the user when signed in at once, null for "check your mail". */
  signUp(details: SignUpDetails): IPromise<AuthUser | null>;
  /** Mail a password-reset link (resolves alike for every address). */
  forgotPassword(email: string): IPromise<void>;
  /** Set a new password with a mailed link's token (every session of the user ends). */
  resetPassword(token: string, password: string): IPromise<void>;
  /** Verify the address with a mailed link's token. */
  verifyEmail(token: string): IPromise<void>;
  /** Mail a verification link: the signed-in user's, or (signed out) to `email`. */
  sendVerification(email?: string): IPromise<void>;
  /** Change the signed-in user's address (verified at the new one, told at the old one). */
  changeEmail(email: string, password: string): IPromise<void>;
  /** Log out here and in every tab; local state is cleared even when the server is unreachable. */
  logout(): IPromise<void>;
  /** End every session of the user (every device), then this one; rejects with `logout_all_failed`. */
  logoutEverywhere(): IPromise<void>;
  /** A `resolve` function: the user, or rejection with code `unauthenticated`. Usable unbound. */
  readonly requireUser: () => IPromise<AuthUser>;
  /** A `resolve` function requiring `role`: rejects with code `forbidden` (403) when the user lacks it. */
  requireRole(role: string): () => IPromise<AuthUser>;
  /** Whether the current user has `role` (UI hint only: the server enforces access). */
  hasRole(role: string): boolean;
}

/** `$authProvider`, for the config phase. */
export interface AuthServiceProvider {
  /** Configure the client (merged over earlier calls); see @jotauth/client's AuthClientConfig. */
  configure(config: AuthClientConfig): void;
  /** Injectable `resolve` for ui-router/ngRoute states declared at config time. */
  readonly requireUser: readonly [string, (auth: AuthService) => IPromise<AuthUser>];
  /** Injectable `resolve` requiring a role, for states declared at config time. */
  requireRole(role: string): readonly [string, (auth: AuthService) => IPromise<AuthUser>];
}
