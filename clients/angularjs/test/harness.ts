/**
 * A real AngularJS 1.8 injector whose ngMock $httpBackend answers from the shared fake auth
 * server (test-support/), and `drain()`, which runs native promises, digests and backend
 * flushes until everything has settled.
 */
import angular, { type IHttpService, type IRootScopeService, type auto } from 'angular';
import 'angular-mocks';
import type { AuthClientConfig } from '@jotauth/client';
import { createFakeAuthServer, type FakeAuthServer, USER } from '../../test-support/fake-auth-server.js';
import { registerJotAuth, type AuthService } from '../src/index.js';

registerJotAuth(angular);

export { problem, USER } from '../../test-support/fake-auth-server.js';
export const ADMIN = { ...USER, id: 'a1', roles: ['user', 'admin'] };

/** A request header by case-insensitive name, undefined when absent. */
export function header(headers: Headers, name: string): string | undefined {
  return headers.get(name) ?? undefined;
}

export interface HarnessOptions {
  readonly config?: AuthClientConfig;
  /** A session exists before the app starts (cookies from an earlier visit). */
  readonly loggedIn?: boolean;
  readonly user?: typeof USER;
  /** Turn off $http's own XSRF header, to see only what jotauth adds. */
  readonly withoutNgXsrf?: boolean;
  /** The fake server to answer from; default a new one for the options above. */
  readonly server?: FakeAuthServer;
}

export function createHarness(options: HarnessOptions = {}) {
  const server =
    options.server ??
    createFakeAuthServer({ delivery: options.config?.delivery ?? 'cookie', loggedIn: options.loggedIn ?? false });
  if (options.user) server.state.user = options.user;

  const injector: auto.IInjectorService = angular.injector([
    'ng',
    'ngMock',
    'jotauth',
    [
      '$authProvider',
      '$httpProvider',
      ($authProvider: { configure(config: AuthClientConfig): void }, $httpProvider: angular.IHttpProvider) => {
        $authProvider.configure({ crossTab: false, ...options.config });
        // $http's own XSRF header goes on every same-origin request, GET included.
        if (options.withoutNgXsrf) $httpProvider.defaults.xsrfCookieName = 'no-such-cookie';
      },
    ],
  ], true); // strictDi, as ng-strict-di apps run: every injectable must be annotated
  const $httpBackend = injector.get<angular.IHttpBackendService>('$httpBackend');
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']) {
    $httpBackend
      .when(method, /.*/)
      .respond((m: string, url: string, data: unknown, headers: Record<string, unknown>) => server.backendReply(m, url, data, headers));
  }
  const $rootScope = injector.get<IRootScopeService>('$rootScope');
  const $http = injector.get<IHttpService>('$http');
  const $auth = injector.get<AuthService>('$auth');
  const broadcasts: { name: string; args: unknown[] }[] = [];
  for (const name of ['$authenticated', '$unauthenticated']) {
    $rootScope.$on(name, (_event, ...args: unknown[]) => broadcasts.push({ name, args }));
  }

  /** Run native promises, digests and backend flushes until nothing moves for a few rounds. */
  async function drain(): Promise<void> {
    let idle = 0;
    while (idle < 3) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      $rootScope.$digest();
      try {
        $httpBackend.flush();
        idle = 0;
      } catch (error) {
        if (!String(error).includes('No pending request to flush')) throw error;
        idle += 1;
      }
    }
  }


  const destroy = (): void => {
    $rootScope.$destroy();
  };

  return {
    injector,
    $httpBackend,
    $rootScope,
    $http,
    $auth,
    server,
    requests: server.calls,
    requestsTo: (path: string) => server.callsTo(path),
    broadcasts,
    drain,
    destroy,
  };
}

export type Harness = ReturnType<typeof createHarness>;

/** Settle a $q promise into a plain record so tests can assert on success or failure. */
export function outcome<T>(promise: angular.IPromise<T>): { value?: T; error?: unknown; settled: boolean } {
  const result: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => {
      Object.assign(result, { value, settled: true });
    },
    (error: unknown) => {
      Object.assign(result, { error, settled: true });
    },
  );
  return result;
}
