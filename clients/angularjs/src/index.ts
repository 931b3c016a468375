/**
 * @jotauth/angularjs — the AngularJS 1.x adapter of jotauth (DESIGN.md §8).
 *
 *   import angular from 'angular';
 *   import { registerJotAuth } from '@jotauth/angularjs';
 *   angular.module('app', [registerJotAuth(angular)]);
 */
export { JOTAUTH_MODULE, registerJotAuth } from './module.js';
export { createAuthService } from './auth-service.js';
export { createAuthInterceptor } from './interceptor.js';
export { createHttpFetch } from './http-fetch.js';
export type {
  AuthService,
  AuthServiceProvider,
  JotAuthMarks,
  JotAuthRequestConfig,
  JotAuthUnauthenticated,
  RootScopeUser,
} from './types.js';
export { AuthError, decodeToken, isExpired } from '@jotauth/client';
export type { AuthClientConfig, AuthErrorCode, AuthUser, Credentials } from '@jotauth/client';
