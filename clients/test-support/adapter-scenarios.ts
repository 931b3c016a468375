/**
 * One table of request scenarios that every adapter (the client's own `fetch`, the Angular
 * interceptor, the AngularJS interceptor) must decide the same way: which requests carry
 * which credentials, when a refresh happens, what is resent and what the app finally sees.
 * Each package runs the whole table through its adapter against the shared fake server.
 */
import type { AuthClientConfig, Clock } from '@jotauth/client';

import { createFakeAuthServer, type FakeAuthServer, pathOf, problem } from './fake-auth-server.js';

/** A request as an app would make it. */
export interface ScenarioRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON text body. */
  readonly body?: string;
}

/** What a user of the adapter can observe about one request. */
export interface Outcome {
  /** The status the app finally sees. */
  readonly status: number;
  /** How many times the request reached the server. */
  readonly sends: number;
  readonly refreshes: number;
  /** What its first sending carried. */
  readonly credentials: 'bearer' | 'xsrf' | 'caller' | 'none';
  /** Whether the app is still signed in afterwards. */
  readonly signedIn: boolean;
}

/** A clock the scenario moves by hand; its timers never fire (no proactive refresh). */
export interface ManualClock extends Clock {
  advance(ms: number): void;
}

export interface Scenario {
  readonly name: string;
  readonly delivery: 'body' | 'cookie';
  /** Arrange the situation after login (expire the token, refuse the refresh…). */
  readonly arrange?: (server: FakeAuthServer, clock: ManualClock) => void;
  readonly request: ScenarioRequest;
  readonly expected: Outcome;
}

/** One adapter, set up over a given fake server and client configuration. */
export interface AdapterUnderTest {
  login(): Promise<void>;
  /** Send the request as an app using this adapter would; resolves with the final status. */
  send(request: ScenarioRequest): Promise<number>;
  signedIn(): boolean;
  dispose(): void;
}

export type AdapterFactory = (server: FakeAuthServer, config: AuthClientConfig) => AdapterUnderTest;

/** The XSRF cookie value the cookie scenarios run with. */
export const XSRF_VALUE = 'xsrf-1';

const ok = { status: 200, sends: 1, refreshes: 0, signedIn: true } as const;
const expireToken = (server: FakeAuthServer): void => {
  server.expireAccessToken();
};

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'body: a valid token goes along',
    delivery: 'body',
    request: { method: 'GET', url: '/api/lessons' },
    expected: { ...ok, credentials: 'bearer' },
  },
  {
    name: 'body: a 401 refreshes once and the request is resent once',
    delivery: 'body',
    arrange: expireToken,
    request: { method: 'GET', url: '/api/lessons' },
    expected: { ...ok, sends: 2, refreshes: 1, credentials: 'bearer' },
  },
  {
    name: 'body: a token known to be expired is refreshed before the request leaves',
    delivery: 'body',
    arrange: (server, clock) => {
      clock.advance(901_000);
      server.expireAccessToken();
    },
    request: { method: 'GET', url: '/api/lessons' },
    expected: { ...ok, refreshes: 1, credentials: 'bearer' },
  },
  {
    name: 'body: a refused refresh ends the session and the 401 reaches the app',
    delivery: 'body',
    arrange: (server) => {
      server.expireAccessToken();
      server.state.refreshFailure = () => problem(401, 'session_revoked');
    },
    request: { method: 'GET', url: '/api/lessons' },
    expected: { status: 401, sends: 1, refreshes: 1, credentials: 'bearer', signedIn: false },
  },
  {
    name: 'body: an unavailable refresh keeps the session and the 401 reaches the app',
    delivery: 'body',
    arrange: (server) => {
      server.expireAccessToken();
      server.state.refreshFailure = () => problem(503, 'store_unavailable');
    },
    request: { method: 'GET', url: '/api/lessons' },
    expected: { ...ok, status: 401, refreshes: 1, credentials: 'bearer' },
  },
  {
    name: 'body: a second 401 is final',
    delivery: 'body',
    arrange: (server) => {
      server.state.overrides.set('GET /api/always-401', () => problem(401, 'invalid_token'));
    },
    request: { method: 'GET', url: '/api/always-401' },
    expected: { ...ok, status: 401, sends: 2, refreshes: 1, credentials: 'bearer' },
  },
  {
    name: 'body: /me is refreshed and resent like any API call',
    delivery: 'body',
    arrange: expireToken,
    request: { method: 'GET', url: '/api/auth/me' },
    expected: { ...ok, sends: 2, refreshes: 1, credentials: 'bearer' },
  },
  {
    name: 'body: a 401 from login is an answer, never refreshed',
    delivery: 'body',
    request: { method: 'POST', url: '/api/auth/login', body: '{"email":"ada@example.org","password":"wrong"}' },
    expected: { ...ok, status: 401, credentials: 'bearer' },
  },
  {
    name: 'body: a third-party URL gets no token and no refresh',
    delivery: 'body',
    request: { method: 'GET', url: 'https://cdn.example.net/thing' },
    expected: { ...ok, status: 401, credentials: 'none' },
  },
  {
    name: "body: the caller's own Authorization header wins, also on the retry",
    delivery: 'body',
    request: { method: 'GET', url: '/api/lessons', headers: { Authorization: 'Bearer caller' } },
    expected: { ...ok, status: 401, sends: 2, refreshes: 1, credentials: 'caller' },
  },
  {
    name: 'body: other errors pass untouched',
    delivery: 'body',
    arrange: (server) => {
      server.state.overrides.set('GET /api/boom', () => ({ status: 500, body: 'boom' }));
    },
    request: { method: 'GET', url: '/api/boom' },
    expected: { ...ok, status: 500, credentials: 'bearer' },
  },
  {
    name: 'cookie: an unsafe method carries the XSRF header',
    delivery: 'cookie',
    request: { method: 'POST', url: '/api/lessons', body: '{"title":"x"}' },
    expected: { ...ok, credentials: 'xsrf' },
  },
  {
    name: 'cookie: a safe method carries no header',
    delivery: 'cookie',
    request: { method: 'GET', url: '/api/lessons' },
    expected: { ...ok, credentials: 'none' },
  },
  {
    name: 'cookie: an expired access cookie is refreshed and the request resent',
    delivery: 'cookie',
    arrange: expireToken,
    request: { method: 'POST', url: '/api/lessons', body: '{"title":"x"}' },
    expected: { ...ok, sends: 2, refreshes: 1, credentials: 'xsrf' },
  },
];

function manualClock(): ManualClock {
  let now = Date.UTC(2026, 0, 1, 12, 0, 0);
  return {
    now: () => now,
    setTimeout: () => 0,
    clearTimeout: () => undefined,
    advance: (ms) => {
      now += ms;
    },
  };
}

function credentialsOf(headers: Headers | undefined): Outcome['credentials'] {
  const authorization = headers?.get('authorization');
  if (authorization === 'Bearer caller') return 'caller';
  if (authorization?.startsWith('Bearer ')) return 'bearer';
  return headers?.has('x-xsrf-token') ? 'xsrf' : 'none';
}

/** Run one scenario through an adapter and report what a user of it would observe. */
export async function runScenario(scenario: Scenario, createAdapter: AdapterFactory): Promise<Outcome> {
  const clock = manualClock();
  const server = createFakeAuthServer({ delivery: scenario.delivery, now: () => clock.now() });
  document.cookie = `XSRF-TOKEN=${XSRF_VALUE}; path=/`;
  const adapter = createAdapter(server, {
    delivery: scenario.delivery,
    clock,
    crossTab: false,
    refreshJitterMs: 0,
    locks: null,
  });
  try {
    await adapter.login();
    scenario.arrange?.(server, clock);
    server.calls.length = 0;
    const status = await adapter.send(scenario.request);
    const sent = server.callsTo(pathOf(scenario.request.url));
    return {
      status,
      sends: sent.length,
      refreshes: server.callsTo('/api/auth/refresh').length,
      credentials: credentialsOf(sent[0]?.headers),
      signedIn: adapter.signedIn(),
    };
  } finally {
    adapter.dispose();
    document.cookie = 'XSRF-TOKEN=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
  }
}
