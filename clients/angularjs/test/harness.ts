/**
 * A real AngularJS 1.8 injector with ngMock's $httpBackend standing in for the jotauth server
 * and an API. Responders are driven by a small model (tokens, session), and `drain()` runs
 * native promises, digests and backend flushes until everything has settled.
 */
import angular, { type IHttpService, type IRootScopeService, type auto } from 'angular';
import 'angular-mocks';
import type { AuthClientConfig } from '@jotauth/client';
import { registerJotAuth, type AuthService } from '../src/index.js';

registerJotAuth(angular);

export const USER = { id: 'u1', email: 'ada@example.org', name: 'Ada', roles: ['user'], scope: 'lessons' };
export const ADMIN = { ...USER, id: 'a1', roles: ['user', 'admin'] };

type Reply = [number, unknown?, Record<string, string>?];

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, unknown>;
  readonly data: unknown;
}

/** A request header by case-insensitive name ($http keeps the case it was given). */
export function header(headers: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}

export function problem(status: number, code: string): Reply {
  return [status, { type: 'about:blank', title: code, status, detail: `${code}!`, code }, { 'Content-Type': 'application/problem+json' }];
}

export interface HarnessOptions {
  readonly config?: AuthClientConfig;
  /** A session exists before the app starts (cookies from an earlier visit). */
  readonly loggedIn?: boolean;
  readonly user?: typeof USER;
}

export function createHarness(options: HarnessOptions = {}) {
  const delivery = options.config?.delivery ?? 'cookie';
  let serial = 0;
  const model = {
    user: options.user ?? USER,
    session: options.loggedIn ?? false,
    accessValid: options.loggedIn ?? false,
    token: null as string | null,
    refreshReply: null as Reply | null,
    overrides: new Map<string, () => Reply>(),
  };
  const requests: RecordedRequest[] = [];

  const issue = (): Reply => {
    serial += 1;
    model.session = true;
    model.accessValid = true;
    model.token = `token-${serial}`;
    if (delivery === 'cookie') return [204];
    return [200, { access_token: model.token, token_type: 'Bearer', expires_in: 900, expires_at: Math.floor(Date.now() / 1000) + 900 }, { 'Content-Type': 'application/json' }];
  };
  if (model.session && delivery === 'body') model.token = null; // memory storage: new page, no token yet

  const authorized = (headers: Record<string, unknown>): boolean =>
    delivery === 'body'
      ? model.token !== null && header(headers, 'authorization') === `Bearer ${model.token}`
      : model.accessValid;

  const respond = (method: string, url: string, data: unknown, headers: Record<string, unknown>): Reply => {
    requests.push({ method, url, headers: { ...headers }, data });
    const path = new URL(url, 'http://localhost:3000').pathname;
    const override = model.overrides.get(`${method} ${path}`);
    if (override) return override();
    switch (`${method} ${path}`) {
      case 'POST /api/auth/login': {
        const body = JSON.parse(String(data)) as { password?: string };
        return body.password === 'right' ? issue() : problem(401, 'invalid_credentials');
      }
      case 'POST /api/auth/refresh':
        if (model.refreshReply) return model.refreshReply;
        return model.session ? issue() : problem(401, 'session_expired');
      case 'POST /api/auth/logout':
        model.session = false;
        model.accessValid = false;
        model.token = null;
        return [204];
      case 'GET /api/auth/me':
        return authorized(headers) ? [200, model.user, { 'Content-Type': 'application/json' }] : problem(401, 'invalid_token');
      default:
        if (!url.startsWith('/') && !url.startsWith('http://localhost:3000/')) return [401, 'third party says no'];
        return authorized(headers) ? [200, { ok: true, path }, { 'Content-Type': 'application/json' }] : problem(401, 'invalid_token');
    }
  };

  const injector: auto.IInjectorService = angular.injector([
    'ng',
    'ngMock',
    'jotauth',
    [
      '$authProvider',
      ($authProvider: { configure(config: AuthClientConfig): void }) => {
        $authProvider.configure({ crossTab: false, ...options.config });
      },
    ],
  ], true); // strictDi, as ng-strict-di apps run: every injectable must be annotated
  const $httpBackend = injector.get<angular.IHttpBackendService>('$httpBackend');
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']) {
    $httpBackend
      .when(method, /.*/)
      .respond((m: string, url: string, data: unknown, headers: Record<string, unknown>) => respond(m, url, data, headers));
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

  const requestsTo = (path: string): RecordedRequest[] =>
    requests.filter((r) => new URL(r.url, 'http://localhost:3000').pathname === path);

  const destroy = (): void => {
    $rootScope.$destroy();
  };

  return { injector, $httpBackend, $rootScope, $http, $auth, model, requests, requestsTo, broadcasts, drain, issue, destroy };
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
