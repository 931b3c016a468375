import { afterEach, describe, expect, it } from 'vitest';
import { createAuthClient, type AuthClient, type UnauthenticatedEvent } from '../src/index.js';
import { createFakeAuthServer, gate, problem, settle } from '../../test-support/fake-auth-server.js';

let client: AuthClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

async function loggedInBodyClient(server: ReturnType<typeof createFakeAuthServer>): Promise<AuthClient> {
  client = createAuthClient({ delivery: 'body', fetch: server.fetch, crossTab: false });
  await client.login({ email: 'ada@example.org', password: 'right' });
  return client;
}

describe('auth-aware fetch: refresh on 401', () => {
  it('sends exactly one refresh for ten concurrent 401s and retries all ten', async () => {
    const server = createFakeAuthServer();
    const auth = await loggedInBodyClient(server);
    server.expireAccessToken();
    const held = gate();
    server.state.refreshGate = held;

    const responses = Promise.all(Array.from({ length: 10 }, (_, i) => auth.fetch(`/api/lessons/${i}`)));
    await settle();
    held.open();
    const results = await responses;

    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const retried = server.calls.filter((c) => c.url.includes('/api/lessons/'));
    expect(retried).toHaveLength(20); // each request: the 401 and one retry
    const newToken = `Bearer ${server.state.currentToken!}`;
    expect(retried.slice(10).every((c) => c.headers.get('authorization') === newToken)).toBe(true);
  });

  it('retries once with the new token and returns the retry\'s response', async () => {
    const server = createFakeAuthServer();
    const auth = await loggedInBodyClient(server);
    server.expireAccessToken();

    const response = await auth.fetch('/api/lessons');

    expect(response.status).toBe(200);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
    const [first, retry] = server.callsTo('/api/lessons');
    expect(retry!.headers.get('authorization')).toBe(`Bearer ${server.state.currentToken!}`);
    expect(first!.headers.get('authorization')).not.toBe(retry!.headers.get('authorization'));
  });

  it('does not refresh again when a second 401 follows the retry', async () => {
    const server = createFakeAuthServer();
    const auth = await loggedInBodyClient(server);
    server.state.overrides.set('GET /api/always-401', () => problem(401, 'invalid_token'));

    const response = await auth.fetch('/api/always-401');

    expect(response.status).toBe(401);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
    expect(server.callsTo('/api/always-401')).toHaveLength(2);
  });

  it('ends the session and emits unauthenticated when the refresh is refused', async () => {
    const server = createFakeAuthServer();
    const auth = await loggedInBodyClient(server);
    const events: UnauthenticatedEvent[] = [];
    auth.on('unauthenticated', (event) => events.push(event));
    server.state.refreshFailure = () => problem(401, 'session_revoked');
    server.expireAccessToken();

    const results = await Promise.all([auth.fetch('/api/a'), auth.fetch('/api/b'), auth.fetch('/api/c')]);

    expect(results.map((r) => r.status)).toEqual([401, 401, 401]);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
    expect(auth.user).toBeNull();
    expect(auth.expiresAt).toBeNull();
    expect(events).toEqual([{ reason: 'session_ended', code: 'session_revoked' }]);
    expect(await auth.getUser()).toBeNull();
    expect(auth.authHeaders('/api/a')).toEqual({}); // the token is gone
  });

  it('keeps the user logged in when the refresh endpoint is unavailable (503) and returns the 401', async () => {
    const server = createFakeAuthServer();
    const auth = await loggedInBodyClient(server);
    let unauthenticated = 0;
    auth.on('unauthenticated', () => (unauthenticated += 1));
    server.state.refreshFailure = () => problem(503, 'store_unavailable');
    server.expireAccessToken();

    const response = await auth.fetch('/api/lessons');

    expect(response.status).toBe(401);
    expect(auth.user).toMatchObject({ id: 'u1' });
    expect(unauthenticated).toBe(0);
    await expect(auth.refresh()).rejects.toMatchObject({ name: 'AuthError', code: 'store_unavailable', status: 503 });
  });

  it('treats a network failure of the refresh as transient, not as a logout', async () => {
    const server = createFakeAuthServer();
    const auth = await loggedInBodyClient(server);
    server.state.overrides.set('POST /api/auth/refresh', () => Promise.reject(new TypeError('Failed to fetch')));
    server.expireAccessToken();

    expect((await auth.fetch('/api/lessons')).status).toBe(401);
    expect(auth.user).not.toBeNull();
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'network_error', status: 0 });
  });

  it('retries without refreshing when another request already brought a new token', async () => {
    const server = createFakeAuthServer();
    const auth = await loggedInBodyClient(server);
    const held = gate();
    server.state.overrides.set('GET /api/slow', async () => {
      await held.wait();
      server.state.overrides.delete('GET /api/slow'); // the retry meets the ordinary API
      return problem(401, 'invalid_token'); // its token was replaced while it was out
    });
    const slow = auth.fetch('/api/slow'); // leaves with the first token
    await settle();
    await auth.refresh(); // a second token arrives while it is out
    held.open();

    expect((await slow).status).toBe(200);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1); // the retry used the newer token
  });

  it('never refreshes-and-retries the auth endpoints themselves', async () => {
    const server = createFakeAuthServer();
    const auth = await loggedInBodyClient(server);
    server.state.overrides.set('POST /api/auth/logout', () => problem(401, 'invalid_token'));

    const response = await auth.fetch('/api/auth/logout', { method: 'POST' });

    expect(response.status).toBe(401);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(0);
    expect(await auth.requests.settle({ url: 'http://localhost:3000/api/auth/refresh?x=1', generation: 0, isRetry: false }, 401)).toBe('pass');
    expect(auth.matchEndpoint('/api/auth/me#x')).toBe('me');
    expect(auth.matchEndpoint('/api/auth/logout-all')).toBe('logoutAll');
    expect(auth.matchEndpoint('/api/auth/mex')).toBeNull();
    expect(auth.matchEndpoint('https://evil.example/api/auth/me')).toBeNull();
  });

  it('neither sends the token to nor refreshes for a third-party origin', async () => {
    const server = createFakeAuthServer();
    const auth = await loggedInBodyClient(server);

    const response = await auth.fetch('https://cdn.example.net/api/thing');

    expect(response.status).toBe(401);
    expect(server.calls.at(-1)!.headers.has('authorization')).toBe(false);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(0);
  });

  it('resends a Request object with its body on the retry', async () => {
    const server = createFakeAuthServer();
    const auth = await loggedInBodyClient(server);
    server.expireAccessToken();

    const request = new Request('http://localhost:3000/api/lessons', { method: 'POST', body: '{"title":"x"}' });
    const response = await auth.fetch(request);

    expect(response.status).toBe(200);
    const posts = server.callsTo('/api/lessons');
    expect(posts.map((c) => c.body)).toEqual(['{"title":"x"}', '{"title":"x"}']);
  });

  it('leaves an Authorization header set by the caller alone', async () => {
    const server = createFakeAuthServer();
    const auth = await loggedInBodyClient(server);

    await auth.fetch('/api/lessons', { headers: { Authorization: 'Bearer mine' } });

    expect(server.callsTo('/api/lessons')[0]!.headers.get('authorization')).toBe('Bearer mine');
  });

  it('refreshes before sending when the stored token is already known to be expired', async () => {
    let now = Date.now();
    const clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined };
    const server = createFakeAuthServer({ now: () => now, ttlSeconds: 60 });
    client = createAuthClient({ delivery: 'body', fetch: server.fetch, crossTab: false, clock });
    await client.login({ email: 'ada@example.org', password: 'right' });
    now += 61_000;

    const response = await client.fetch('/api/lessons');

    expect(response.status).toBe(200);
    expect(server.callsTo('/api/lessons')).toHaveLength(1); // no 401 round trip
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
  });
});
