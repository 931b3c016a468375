import type { IAngularStatic, IHttpProvider, IQService, IRootScopeService, auto } from 'angular';
import { createAuthClient, type AuthClientConfig } from '@jotauth/client';
import { createAuthService } from './auth-service.js';
import { createHttpFetch } from './http-fetch.js';
import { createAuthInterceptor } from './interceptor.js';
import type { AuthService, AuthServiceProvider } from './types.js';

/** Name of the AngularJS module: `angular.module('app', ['jotauth'])`. */
export const JOTAUTH_MODULE = 'jotauth';

/**
 * Register the `jotauth` module on an AngularJS instance and return its name. It provides
 * `$auth` (configured in the config phase with `$authProvider.configure({...})`), installs the
 * `jotauthInterceptor` on `$http`, and asks `/me` at start-up so `$rootScope.user` settles.
 */
export function registerJotAuth(angular: IAngularStatic): string {
  angular
    .module(JOTAUTH_MODULE, [])
    .provider('$auth', [createAuthProvider])
    .factory('jotauthInterceptor', ['$q', '$injector', '$rootScope', createAuthInterceptor])
    .config([
      '$httpProvider',
      ($httpProvider: IHttpProvider) => {
        $httpProvider.interceptors.push('jotauthInterceptor');
      },
    ])
    .run([
      '$auth',
      ($auth: AuthService) => {
        $auth.getUser().catch(() => undefined); // "not logged in" is an answer, not an error
      },
    ]);
  return JOTAUTH_MODULE;
}

function createAuthProvider(): AuthServiceProvider & { $get: unknown[] } {
  let config: AuthClientConfig = {};
  return {
    configure(next) {
      config = { ...config, ...next };
    },
    requireUser: ['$auth', (auth: AuthService) => auth.requireUser()],
    requireRole: (role) => ['$auth', (auth: AuthService) => auth.requireRole(role)()],
    $get: [
      '$injector',
      '$q',
      '$rootScope',
      ($injector: auto.IInjectorService, $q: IQService, $rootScope: IRootScopeService): AuthService => {
        const client = createAuthClient({
          ...config,
          fetch: config.fetch ?? createHttpFetch(() => $injector.get('$http')),
        });
        return createAuthService(client, $q, $rootScope);
      },
    ],
  };
}
