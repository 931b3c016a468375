import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AuthError,
  createAuthClient,
  hasRole,
  type AuthClient,
  type AuthUser,
  type UnauthenticatedEvent,
  type UserState,
} from '../src/index.js';
import { createFakeAuthServer, gate, json, problem, USER } from '../../test-support/fake-auth-server.js';

let client: AuthClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

function makeClient(server: ReturnType<typeof createFakeAuthServer>, delivery: 'cookie' | 'body' = 'body'): AuthClient {
  client = createAuthClient({ delivery, fetch: server.fetch, crossTab: false });
  return client;
}

describe('user state', () => {
  it('is undefined while resolving, then the user, with one /me call for many getUser calls', async () => {
    const server = createFakeAuthServer({ delivery: 'cookie' });
    server.issue(); // a session from an earlier visit
    const auth = makeClient(server, 'cookie');
    const states: UserState[] = [];
    auth.subscribe((user) => states.push(user));
    const authenticated: AuthUser[] = [];
    auth.on('authenticated', (user) => authenticated.push(user));

    const first = auth.getUser();
    expect(auth.user).toBeUndefined();
    const [a, b] = await Promise.all([first, auth.getUser()]);

    expect(a).toEqual(USER);
    expect(b).toBe(a);
    expect(await auth.getUser()).toBe(a);
    expect(server.callsTo('/api/auth/me')).toHaveLength(1);
    expect(states).toEqual([undefined, USER]);
    expect(authenticated).toEqual([USER]);
  });

  it('is null with an unauthenticated event when there is no session', async () => {
    const server = createFakeAuthServer({ delivery: 'cookie' });
    const auth = makeClient(server, 'cookie');
    const events: UnauthenticatedEvent[] = [];
    auth.on('unauthenticated', (event) => events.push(event));

    expect(await auth.getUser()).toBeNull();
    expect(auth.user).toBeNull();
    expect(events).toEqual([{ reason: 'anonymous', code: 'missing_refresh_token' }]); // one event, not one per step
    expect(await auth.getUser()).toBeNull();
    expect(server.callsTo('/api/auth/me')).toHaveLength(1); // the answer is cached
  });

  it('refetches /me with force', async () => {
    const server = createFakeAuthServer({ delivery: 'cookie' });
    server.issue();
    const auth = makeClient(server, 'cookie');
    await auth.getUser();
    await auth.getUser({ force: true });
    expect(server.callsTo('/api/auth/me')).toHaveLength(2);
  });

  it('does not cache a failed /me: the next call asks again', async () => {
    const server = createFakeAuthServer({ delivery: 'cookie' });
    server.issue();
    server.state.overrides.set('GET /api/auth/me', () => problem(503, 'unavailable'));
    const auth = makeClient(server, 'cookie');

    await expect(auth.getUser()).rejects.toMatchObject({ code: 'unavailable', status: 503 });
    expect(auth.user).toBeUndefined();
    server.state.overrides.delete('GET /api/auth/me');
    expect(await auth.getUser()).toEqual(USER);
  });

  it.each([
    ['not JSON', () => new Response('<html>', { status: 200, headers: { 'content-type': 'text/html' } })],
    ['without an id', () => json({ email: 'x@example.org', roles: [] })],
    ['with non-string roles', () => json({ ...USER, roles: [1] })],
  ])('rejects a /me answer %s', async (_why, answer) => {
    const server = createFakeAuthServer({ delivery: 'cookie' });
    server.issue();
    server.state.overrides.set('GET /api/auth/me', answer);
    await expect(makeClient(server, 'cookie').getUser()).rejects.toMatchObject({ code: 'invalid_response' });
  });

  it('ignores a /me answer that arrives after logout', async () => {
    const server = createFakeAuthServer({ delivery: 'cookie' });
    server.issue();
    const held = gate();
    server.state.overrides.set('GET /api/auth/me', async () => {
      await held.wait();
      return json(USER);
    });
    const auth = makeClient(server, 'cookie');
    const pending = auth.getUser();
    await auth.logout();
    held.open();
    expect(await pending).toBeNull();
    expect(auth.user).toBeNull();
  });

  it('reports roles for the UI', () => {
    expect(hasRole(USER, 'user')).toBe(true);
    expect(hasRole(USER, 'admin')).toBe(false);
    expect(hasRole(null, 'user')).toBe(false);
  });
});

describe('login and logout', () => {
  it('logs in, loads the user and emits authenticated', async () => {
    const server = createFakeAuthServer();
    const auth = makeClient(server);
    const authenticated: AuthUser[] = [];
    auth.on('authenticated', (user) => authenticated.push(user));

    const user = await auth.login({ email: 'ada@example.org', password: 'right' });

    expect(user).toEqual(USER);
    expect(auth.user).toEqual(USER);
    expect(authenticated).toEqual([USER]);
    expect(auth.expiresAt).toBeGreaterThan(Date.now());
    expect(JSON.parse(server.callsTo('/api/auth/login')[0]!.body!)).toMatchObject({ delivery: 'body' });
  });

  it('rejects a wrong password with the server\'s code and stays logged out', async () => {
    const server = createFakeAuthServer();
    const auth = makeClient(server);
    const error = await auth.login({ email: 'ada@example.org', password: 'wrong' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'invalid_credentials', status: 401, message: 'invalid_credentials!' });
    expect(auth.user).toBeUndefined();
    expect(auth.authHeaders('/api/x')).toEqual({});
  });

  it.each([
    [
      'throttling with Retry-After',
      () => problem(429, 'too_many_attempts', { 'retry-after': '30' }),
      { code: 'too_many_attempts', status: 429, retryAfter: 30 },
    ],
    [
      'a generic code when the error is not problem+json',
      () => new Response('busy', { status: 429 }),
      { code: 'throttled', retryAfter: null, serverCode: null },
    ],
    [
      'an unknown problem code in serverCode, with the code for the status',
      () => problem(403, 'brand_new_code'),
      { code: 'forbidden', status: 403, serverCode: 'brand_new_code' },
    ],
    ['a body-delivery answer without an access token', () => json({ token_type: 'Bearer' }), { code: 'invalid_response' }],
    [
      'a network failure as network_error',
      () => Promise.reject(new TypeError('Failed to fetch')),
      { code: 'network_error', status: 0 },
    ],
  ] as const)('reports %s at login', async (_what, answer, expected) => {
    const server = createFakeAuthServer();
    server.state.overrides.set('POST /api/auth/login', answer);
    await expect(makeClient(server).login({ email: 'a@example.org', password: 'x' })).rejects.toMatchObject(expected);
  });
  it('logs out on the server with the token, clears state and emits unauthenticated', async () => {
    const server = createFakeAuthServer();
    const auth = makeClient(server);
    await auth.login({ email: 'ada@example.org', password: 'right' });
    const token = server.state.currentToken!;
    const events: UnauthenticatedEvent[] = [];
    auth.on('unauthenticated', (event) => events.push(event));

    await auth.logout();

    expect(server.callsTo('/api/auth/logout')[0]!.headers.get('authorization')).toBe(`Bearer ${token}`);
    expect(auth.user).toBeNull();
    expect(auth.expiresAt).toBeNull();
    expect(events).toEqual([{ reason: 'logout' }]);
    expect(await auth.getUser()).toBeNull();
  });

  it('logs out everywhere at the configured logout-all endpoint, then here', async () => {
    const server = createFakeAuthServer();
    server.state.overrides.set('POST /auth/v2/end-all', () => ({ status: 204 }));
    client = createAuthClient({ delivery: 'body', fetch: server.fetch, crossTab: false, endpoints: { logoutAll: '/auth/v2/end-all' } });
    await client.login({ email: 'ada@example.org', password: 'right' });
    const token = server.state.currentToken!;

    await client.logoutEverywhere();

    expect(server.callsTo('/auth/v2/end-all')[0]!.headers.get('authorization')).toBe(`Bearer ${token}`);
    expect(server.callsTo('/api/auth/logout-all')).toHaveLength(0);
    expect(server.callsTo('/api/auth/logout')).toHaveLength(1);
    expect(client.user).toBeNull();
  });

  it('stays signed in when logging out everywhere fails', async () => {
    const server = createFakeAuthServer();
    const auth = makeClient(server);
    await auth.login({ email: 'ada@example.org', password: 'right' });
    server.state.overrides.set('POST /api/auth/logout-all', () => problem(503, 'store_unavailable', { 'retry-after': '5' }));

    await expect(auth.logoutEverywhere()).rejects.toMatchObject({
      code: 'logout_all_failed',
      status: 503,
      retryAfter: 5,
      serverCode: 'store_unavailable',
    });
    expect(auth.user).toEqual(USER);
    expect(server.callsTo('/api/auth/logout')).toHaveLength(0);
  });

  it('logs out locally even when the server cannot be reached', async () => {
    const server = createFakeAuthServer();
    const auth = makeClient(server);
    await auth.login({ email: 'ada@example.org', password: 'right' });
    server.state.overrides.set('POST /api/auth/logout', () => Promise.reject(new TypeError('offline')));

    await auth.logout();

    expect(auth.user).toBeNull();
    expect(auth.authHeaders('/api/x')).toEqual({});
  });

  it('keeps other listeners running when one throws, and reports the error later', async () => {
    const server = createFakeAuthServer({ delivery: 'cookie' }); // no expiry, so no refresh timer
    const auth = makeClient(server, 'cookie');
    const seen: UserState[] = [];
    auth.subscribe((user) => {
      if (user) throw new Error('listener bug');
    });
    auth.subscribe((user) => seen.push(user));
    vi.useFakeTimers();
    try {
      await auth.login({ email: 'ada@example.org', password: 'right' });
      expect(seen.at(-1)).toEqual(USER);
      expect(() => vi.runOnlyPendingTimers()).toThrow('listener bug'); // rethrown, not swallowed
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops notifying after unsubscribe', async () => {
    const server = createFakeAuthServer();
    const auth = makeClient(server);
    const seen: UserState[] = [];
    const unsubscribe = auth.subscribe((user) => seen.push(user));
    unsubscribe();
    await auth.login({ email: 'ada@example.org', password: 'right' });
    expect(seen).toEqual([undefined]);
  });
});
