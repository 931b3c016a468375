/**
 * One table of request scenarios that every adapter (the client's own `fetch`, the Angular
 * interceptor, the AngularJS interceptor) must decide the same way: which requests carry
 * which credentials, when a refresh happens, what is resent and what the app finally sees.
 * Each package runs the whole table through its adapter against the shared fake server.
 */
import type { AuthClientConfig, Clock } from '@jotauth/client';

import { createFakeAuthServer, type FakeAuthServer, pathOf, problem, type Reply } from './fake-auth-server.js';

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

const get = (url: string, headers?: Record<string, string>): ScenarioRequest => ({ method: 'GET', url, headers });
const post = (url: string, body: string): ScenarioRequest => ({ method: 'POST', url, body });

/** A scenario whose outcome is "200 after one send, no refresh, still signed in" but for `differs`. */
function scenario(
  delivery: Scenario['delivery'],
  what: string,
  request: ScenarioRequest,
  differs: Partial<Outcome> & Pick<Outcome, 'credentials'>,
  arrange?: Scenario['arrange'],
): Scenario {
  const expected: Outcome = { status: 200, sends: 1, refreshes: 0, signedIn: true, ...differs };
  return { name: `${delivery}: ${what}`, delivery, request, expected, arrange };
}

const expireToken = (server: FakeAuthServer): void => {
  server.expireAccessToken();
};
/** The access token expired and the refresh answers `reply`. */
const expireAndRefuse = (reply: Reply) => (server: FakeAuthServer): void => {
  server.expireAccessToken();
  server.state.refreshFailure = () => reply;
};
/** `route` ("METHOD /path") answers `reply`. */
const answering = (route: string, reply: Reply) => (server: FakeAuthServer): void => {
  server.state.overrides.set(route, () => reply);
};
const clockPastExpiry = (server: FakeAuthServer, clock: ManualClock): void => {
  clock.advance(901_000);
  server.expireAccessToken();
};
const retried = { sends: 2, refreshes: 1 } as const;

export const SCENARIOS: readonly Scenario[] = [
  scenario('body', 'a valid token goes along', get('/api/lessons'), { credentials: 'bearer' }),
  scenario('body', 'a 401 refreshes once and the request is resent once', get('/api/lessons'),
    { ...retried, credentials: 'bearer' }, expireToken),
  scenario('body', 'a token known to be expired is refreshed before the request leaves', get('/api/lessons'),
    { refreshes: 1, credentials: 'bearer' }, clockPastExpiry),
  scenario('body', 'a refused refresh ends the session and the 401 reaches the app', get('/api/lessons'),
    { status: 401, refreshes: 1, credentials: 'bearer', signedIn: false }, expireAndRefuse(problem(401, 'session_revoked'))),
  scenario('body', 'an unavailable refresh keeps the session and the 401 reaches the app', get('/api/lessons'),
    { status: 401, refreshes: 1, credentials: 'bearer' }, expireAndRefuse(problem(503, 'store_unavailable'))),
  scenario('body', 'a second 401 is final', get('/api/always-401'),
    { ...retried, status: 401, credentials: 'bearer' }, answering('GET /api/always-401', problem(401, 'invalid_token'))),
  scenario('body', '/me is refreshed and resent like any API call', get('/api/auth/me'),
    { ...retried, credentials: 'bearer' }, expireToken),
  scenario('body', 'a 401 from login is an answer, never refreshed',
    post('/api/auth/login', '{"email":"ada@example.org","password":"wrong"}'), { status: 401, credentials: 'bearer' }),
  scenario('body', 'a third-party URL gets no token and no refresh', get('https://cdn.example.net/thing'),
    { status: 401, credentials: 'none' }),
  scenario('body', "the caller's own Authorization header wins, also on the retry",
    get('/api/lessons', { Authorization: 'Bearer caller' }), { ...retried, status: 401, credentials: 'caller' }),
  scenario('body', 'other errors pass untouched', get('/api/boom'),
    { status: 500, credentials: 'bearer' }, answering('GET /api/boom', { status: 500, body: 'boom' })),
  scenario('cookie', 'an unsafe method carries the XSRF header', post('/api/lessons', '{"title":"x"}'),
    { credentials: 'xsrf' }),
  scenario('cookie', 'a safe method carries no header', get('/api/lessons'), { credentials: 'none' }),
  scenario('cookie', 'an expired access cookie is refreshed and the request resent', post('/api/lessons', '{"title":"x"}'),
    { ...retried, credentials: 'xsrf' }, expireToken),
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
