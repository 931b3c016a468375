import type { IPromise, IQService, IRootScopeService } from 'angular';
import { AuthError, createAccountApi, hasRole, type AuthClient, type AuthUser } from '@jotauth/client';
import { createMfaApi } from '@jotauth/client/mfa';
import { createPasskeyApi } from '@jotauth/client/passkeys';
import type { AuthService, InQ, JotAuthUnauthenticated, RootScopeUser } from './types.js';

/**
 * Build `$auth` around a client and bridge the client's state into AngularJS: `$rootScope.user`
 * and the `$authenticated` / `$unauthenticated` broadcasts. Client callbacks arrive outside any
 * digest, so every change goes through `$evalAsync`, which schedules one.
 */
export function createAuthService(client: AuthClient, $q: IQService, $rootScope: IRootScopeService): AuthService {
  const apply = (change: () => void): void => {
    $rootScope.$evalAsync(change);
  };
  $rootScope.user = null;
  const stopUser = client.subscribe((user) => {
    apply(() => {
      $rootScope.user = toRootScopeUser(user);
    });
  });
  const stopAuthenticated = client.on('authenticated', (user) => {
    apply(() => $rootScope.$broadcast('$authenticated', user));
  });
  const stopUnauthenticated = client.on('unauthenticated', (event) => {
    apply(() => $rootScope.$broadcast('$unauthenticated', event satisfies JotAuthUnauthenticated));
  });
  $rootScope.$on('$destroy', () => {
    stopUser();
    stopAuthenticated();
    stopUnauthenticated();
    client.dispose();
  });

  // One $q promise per client request, so every caller during one /me shares the same promise.
  const wrapped = new WeakMap<Promise<AuthUser | null>, IPromise<AuthUser>>();
  const getUser = (): IPromise<AuthUser> => {
    const pending = client.getUser();
    let promise = wrapped.get(pending);
    if (!promise) {
      promise = $q.when(pending).then((user) => user ?? $q.reject(notLoggedIn()));
      wrapped.set(pending, promise);
    }
    return promise;
  };

  const accounts = createAccountApi(client);
  return {
    client,
    getUser,
    login: (credentials) => $q.when(client.login(credentials)),
    completeLogin: (proof) => $q.when(client.completeLogin(proof)),
    reauthenticate: (options) => $q.when(client.reauthenticate(options)),
    secondStep: () => client.secondStep,
    mfa: inQ(createMfaApi(client), $q),
    passkeys: inQ(createPasskeyApi(client), $q),
    signUp: (details) => $q.when(client.signUp(details)),
    forgotPassword: (email) => $q.when(accounts.forgotPassword(email)),
    resetPassword: (token, password) => $q.when(accounts.resetPassword(token, password)),
    verifyEmail: (token) => $q.when(accounts.verifyEmail(token)),
    sendVerification: (email) => $q.when(accounts.sendVerification(email)),
    changeEmail: (email, password) => $q.when(accounts.changeEmail(email, password)),
    logout: () => $q.when(client.logout()),
    logoutEverywhere: () => $q.when(client.logoutEverywhere()),
    requireUser: getUser,
    requireRole: (role) => () =>
      getUser().then((user) =>
        hasRole(user, role) ? user : $q.reject(new AuthError('forbidden', 403, `the ${role} role is required`)),
      ),
    hasRole: (role) => hasRole(client.user, role),
  };
}

/** The same calls, each promise a `$q` one (so a digest follows when it settles). */
function inQ<T extends object>(api: T, $q: IQService): InQ<T> {
  const wrapped: Record<string, unknown> = {};
  for (const [name, call] of Object.entries(api) as [string, (...args: unknown[]) => unknown][]) {
    wrapped[name] = (...args: unknown[]) => {
      const result = call(...args);
      return result instanceof Promise ? $q.when(result) : result;
    };
  }
  return wrapped as InQ<T>;
}

function toRootScopeUser(user: AuthUser | null | undefined): RootScopeUser {
  return user === undefined ? null : user ?? false;
}

function notLoggedIn(): AuthError {
  return new AuthError('unauthenticated', 401, 'not logged in');
}
