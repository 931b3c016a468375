import { computed, DestroyRef, inject, type Signal, signal } from '@angular/core';
import {
  type AccountApi,
  type AuthClient,
  type AuthUser,
  type CompletedLogin,
  createAccountApi,
  type Credentials,
  type Delivery,
  hasRole,
  type MfaChallenge,
  type SecondFactorProof,
  type SignUpDetails,
  type UserState,
} from '@jotauth/client';
import { createMfaApi, type MfaApi } from '@jotauth/client/mfa';

import { JOTAUTH_CLIENT } from './config.js';

/**
 * The signed-in user and the session as Angular signals, over the shared @jotauth/client.
 *
 * Provided by {@link provideJotAuth}; inject it with `inject(AuthService)`. The signals
 * follow the client: login and logout here or in another tab, a refused refresh, a 401 on
 * `/me` all show up in `user` without any polling.
 */
export class AuthService {
  /** The underlying framework-free client (its `fetch`, events, `refresh`). */
  readonly client: AuthClient = inject(JOTAUTH_CLIENT);
  /** How tokens travel: 'cookie' (HttpOnly cookies) or 'body' (Bearer header). */
  readonly delivery: Delivery = this.client.delivery;
  /** Password reset, address verification and change (DESIGN §12). */
  readonly accounts: AccountApi = createAccountApi(this.client);
  /** Second factors (DESIGN §13): MFA status, TOTP set-up and removal, recovery codes. */
  readonly mfa: MfaApi = createMfaApi(this.client);

  private readonly userState = signal<UserState>(this.client.user);
  private readonly expiryMs = signal<number | null>(this.client.expiresAt);
  private readonly step = signal<MfaChallenge | null>(this.client.secondStep);

  /** `undefined` while resolving, `null` when logged out, the user when logged in. */
  readonly user: Signal<UserState> = this.userState.asReadonly();
  /** True when a user is signed in. */
  readonly isLoggedIn: Signal<boolean> = computed(() => Boolean(this.userState()));
  /**
   * The second step a login or re-authentication asked for (methods, passkey options), until
   * {@link AuthService.completeLogin} finishes it; null when none is pending.
   */
  readonly secondStep: Signal<MfaChallenge | null> = this.step.asReadonly();
  /**
   * When the current access token expires, or null when the client does not know (cookie
   * delivery keeps the token in an HttpOnly cookie; the client then refreshes on 401).
   */
  readonly expiresAt: Signal<Date | null> = computed(() => {
    const ms = this.expiryMs();
    return ms === null ? null : new Date(ms);
  });

  constructor() {
    const unsubscribe = [
      this.client.subscribe((user) => {
        this.userState.set(user);
        this.step.set(this.client.secondStep);
      }),
      this.client.on('expiry', (ms) => {
        this.expiryMs.set(ms);
      }),
    ];
    inject(DestroyRef).onDestroy(() => {
      for (const stop of unsubscribe) stop();
    });
    // Resolve the user at start, so `user()` leaves `undefined` without a guard asking first.
    this.client.getUser().catch(() => undefined);
  }

  /**
   * Log in; resolves with the user, rejects with an `AuthError` (`invalid_credentials`,
   * `throttled`…). A user with second factors: rejects with code `mfa_required`, and
   * {@link AuthService.secondStep} holds the step to finish with `completeLogin`.
   */
  login(credentials: Credentials): Promise<AuthUser> {
    return this.following(this.client.login(credentials));
  }

  /** Finish the pending second step with a code, or a passkey assertion (see `injectPasskeys`). */
  completeLogin(proof: SecondFactorProof): Promise<CompletedLogin> {
    return this.following(this.client.completeLogin(proof));
  }

  /**
   * Prove the signed-in user again (after a 403 `insufficient_user_authentication`): the user
   * when done, or `mfa_required` (then `completeLogin`) for a user with second factors.
   */
  reauthenticate(options?: { readonly password?: string }): Promise<AuthUser> {
    return this.following(this.client.reauthenticate(options));
  }

  /** The pending step of the client once `call` settles, in {@link AuthService.secondStep}. */
  private following<T>(call: Promise<T>): Promise<T> {
    const update = (): void => {
      this.step.set(this.client.secondStep);
    };
    call.then(update, update);
    return call;
  }

  /** Create an account: the user when signed in at once, null for "check your mail". */
  signUp(details: SignUpDetails): Promise<AuthUser | null> {
    return this.client.signUp(details);
  }

  /** End this session on the server and in every tab of this origin. */
  logout(): Promise<void> {
    return this.client.logout();
  }

  /** End every session of the user (every device), then this tab's state and the other tabs'. */
  logoutEverywhere(): Promise<void> {
    return this.client.logoutEverywhere();
  }

  /** The user (resolving `/me` once), or null when nobody is signed in. */
  getUser(options?: { readonly force?: boolean }): Promise<AuthUser | null> {
    return this.client.getUser(options);
  }

  /** Whether the signed-in user has `role`: for showing UI; the API enforces access. */
  hasRole(role: string): boolean {
    return hasRole(this.userState(), role);
  }
}
