import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthClient, type AuthClient } from '../src/index.js';
import { createFakeAuthServer } from '../../test-support/fake-auth-server.js';

let client: AuthClient | null = null;
beforeEach(() => {
  document.cookie = 'XSRF-TOKEN=csrf%2Fvalue.1; path=/';
  document.cookie = 'other=1; path=/';
});
afterEach(() => {
  client?.dispose();
  client = null;
  document.cookie = 'XSRF-TOKEN=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
  document.cookie = 'other=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
});

function cookieClient(server: ReturnType<typeof createFakeAuthServer>, extra = {}): AuthClient {
  client = createAuthClient({ delivery: 'cookie', fetch: server.fetch, crossTab: false, ...extra });
  return client;
}

describe('cookie delivery: XSRF header', () => {
  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'post'])('adds X-XSRF-TOKEN from the cookie on %s', async (method) => {
    const server = createFakeAuthServer({ delivery: 'cookie' });
    const auth = cookieClient(server);
    await auth.fetch('/api/lessons', { method });
    const sent = server.callsTo('/api/lessons')[0]!;
    expect(sent.headers.get('x-xsrf-token')).toBe('csrf/value.1');
    expect(sent.headers.has('authorization')).toBe(false);
  });

  it.each(['GET', 'HEAD', 'OPTIONS'])('sends no XSRF header on safe method %s', async (method) => {
    const server = createFakeAuthServer({ delivery: 'cookie' });
    const auth = cookieClient(server);
    await auth.fetch('/api/lessons', { method });
    expect(server.callsTo('/api/lessons')[0]!.headers.has('x-xsrf-token')).toBe(false);
  });

  it('never sends the XSRF token to a third-party origin', async () => {
    const server = createFakeAuthServer({ delivery: 'cookie' });
    const auth = cookieClient(server);
    await auth.fetch('https://api.example.com.evil.com/api/lessons', { method: 'POST' });
    await auth.fetch('//evil.com/api/lessons', { method: 'POST' });
    expect(server.calls.every((c) => !c.headers.has('x-xsrf-token'))).toBe(true);
    expect(auth.authHeaders('https://evil.com/x', 'POST')).toEqual({});
  });

  it('honours custom cookie and header names', () => {
    document.cookie = 'csrf=abc; path=/';
    const auth = cookieClient(createFakeAuthServer({ delivery: 'cookie' }), {
      xsrfCookieName: 'csrf',
      xsrfHeaderName: 'X-CSRF',
    });
    expect(auth.authHeaders('/api/x', 'DELETE')).toEqual({ 'X-CSRF': 'abc' });
    document.cookie = 'csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
  });

  it('sends nothing when there is no XSRF cookie', () => {
    document.cookie = 'XSRF-TOKEN=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
    const auth = cookieClient(createFakeAuthServer({ delivery: 'cookie' }));
    expect(auth.authHeaders('/api/x', 'POST')).toEqual({});
  });

  it('logs in asking for cookie delivery and refreshes with the XSRF header', async () => {
    const server = createFakeAuthServer({ delivery: 'cookie' });
    const auth = cookieClient(server);
    await auth.login({ email: 'ada@example.org', password: 'right' });
    server.expireAccessToken();

    expect((await auth.fetch('/api/lessons')).status).toBe(200);

    expect(JSON.parse(server.callsTo('/api/auth/login')[0]!.body!)).toEqual({
      email: 'ada@example.org',
      password: 'right',
      delivery: 'cookie',
    });
    const refresh = server.callsTo('/api/auth/refresh')[0]!;
    expect(refresh.headers.get('x-xsrf-token')).toBe('csrf/value.1');
    expect(JSON.parse(refresh.body!)).toEqual({ delivery: 'cookie' });
  });

  it('takes the expiry from a JSON login response when the server sends one', async () => {
    const server = createFakeAuthServer({ delivery: 'cookie' });
    server.state.overrides.set('POST /api/auth/login', () => {
      server.issue();
      return new Response(JSON.stringify({ expires_at: 2_000_000_000 }), { headers: { 'content-type': 'application/json' } });
    });
    const auth = cookieClient(server);
    await auth.login({ email: 'ada@example.org', password: 'right' });
    expect(auth.expiresAt).toBe(2_000_000_000_000);
  });
});
