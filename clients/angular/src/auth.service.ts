import { computed, DestroyRef, inject, type Signal, signal } from '@angular/core';
import {
  type AccountApi,
  type AuthClient,
  type AuthUser,
  createAccountApi,
  type Credentials,
  type Delivery,
  hasRole,
  type SignUpDetails,
  type UserState,
} from '@jotauth/client';

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

  private readonly userState = signal<UserState>(this.client.user);
  private readonly expiryMs = signal<number | null>(this.client.expiresAt);

  /** `undefined` while resolving, `null` when logged out, the user when logged in. */
  readonly user: Signal<UserState> = this.userState.asReadonly();
  /** True when a user is signed in. */
  readonly isLoggedIn: Signal<boolean> = computed(() => Boolean(this.userState()));
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

  /** Log in; resolves with the user, rejects with an `AuthError` (`invalid_credentials`, `throttled`…). */
  login(credentials: Credentials): Promise<AuthUser> {
    return this.client.login(credentials);
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
