import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, header, outcome, problem, USER, type Harness } from './harness.js';

let h: Harness | null = null;
afterEach(() => {
  h?.destroy();
  h = null;
});

describe('$rootScope.user and the auth events', () => {
  it('is null while /me resolves, then the user, with $authenticated carrying the user', async () => {
    h = createHarness({ loggedIn: true });
    expect(h.$rootScope.user).toBeNull();

    await h.drain();

    expect(h.$rootScope.user).toEqual(USER);
    expect(h.broadcasts).toEqual([{ name: '$authenticated', args: [USER] }]);
    expect(h.requestsTo('/api/auth/me')).toHaveLength(1);
  });

  it('is false when nobody is logged in, with $unauthenticated', async () => {
    h = createHarness({ loggedIn: false });
    await h.drain();

    expect(h.$rootScope.user).toBe(false);
    expect(h.broadcasts.map((b) => b.name)).toEqual(['$unauthenticated']);
    expect(h.requestsTo('/api/auth/refresh')).toHaveLength(1); // /me 401 → one refresh attempt
  });

  it('recovers a body-delivery session after a reload through the refresh cookie', async () => {
    h = createHarness({ loggedIn: true, config: { delivery: 'body' } });
    await h.drain();

    expect(h.$rootScope.user).toEqual(USER);
    const [first, second] = h.requestsTo('/api/auth/me');
    expect(header(first!.headers, 'authorization')).toBeUndefined();
    expect(header(second!.headers, 'authorization')).toBe(`Bearer ${h.server.state.currentToken!}`);
  });
});

describe('$auth.getUser', () => {
  it('returns one cached promise for many callers, backed by one /me request', async () => {
    h = createHarness({ loggedIn: true });
    const first = h.$auth.getUser();
    const second = h.$auth.getUser();
    expect(second).toBe(first);
    const result = outcome(first);
    await h.drain();

    expect(result.value).toEqual(USER);
    expect(h.$auth.getUser()).toBe(first);
    expect(h.requestsTo('/api/auth/me')).toHaveLength(1);
  });

  it('rejects with code unauthenticated when /me answers 401', async () => {
    h = createHarness({ loggedIn: false });
    const result = outcome(h.$auth.getUser());
    await h.drain();
    expect(result.error).toMatchObject({ name: 'AuthError', code: 'unauthenticated', status: 401 });
  });

  it('rejects with the server error when /me fails otherwise, and asks again next time', async () => {
    h = createHarness({ loggedIn: true });
    h.server.state.overrides.set('GET /api/auth/me', () => problem(503, 'unavailable'));
    await h.drain();
    expect(h.$rootScope.user).toBeNull(); // still unknown, not "logged out"
    h.server.state.overrides.clear();
    const result = outcome(h.$auth.getUser());
    await h.drain();
    expect(result.value).toEqual(USER);
    expect(h.requestsTo('/api/auth/me')).toHaveLength(2);
  });
});

/** A harness whose start-up (`/me`, one refresh attempt) is over, with its broadcasts forgotten. */
async function startedAnonymous(): Promise<Harness> {
  const harness = createHarness();
  await harness.drain();
  harness.broadcasts.length = 0;
  return harness;
}

describe('$auth.login and $auth.logout', () => {
  it('logs in, sets $rootScope.user and broadcasts $authenticated', async () => {
    h = await startedAnonymous();

    const result = outcome(h.$auth.login({ email: 'ada@example.org', password: 'right' }));
    await h.drain();

    expect(result.value).toEqual(USER);
    expect(h.$rootScope.user).toEqual(USER);
    expect(h.broadcasts).toEqual([{ name: '$authenticated', args: [USER] }]);
    expect(JSON.parse(String(h.requestsTo('/api/auth/login')[0]!.body))).toEqual({
      email: 'ada@example.org',
      password: 'right',
      delivery: 'cookie',
    });
    const resolved = outcome(h.$auth.getUser());
    await h.drain();
    expect(resolved.value).toEqual(USER);
  });

  it('rejects a wrong password with invalid_credentials and broadcasts nothing new', async () => {
    h = await startedAnonymous();

    const result = outcome(h.$auth.login({ email: 'ada@example.org', password: 'wrong' }));
    await h.drain();

    expect(result.error).toMatchObject({ code: 'invalid_credentials', status: 401 });
    expect(h.$rootScope.user).toBe(false);
    expect(h.broadcasts).toEqual([]);
  });

  it('passes throttling through with Retry-After', async () => {
    h = createHarness();
    h.server.state.overrides.set('POST /api/auth/login', () => ({ status: 429, body: { code: 'too_many_attempts', detail: 'slow down' }, headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '12' } }));
    const result = outcome(h.$auth.login({ email: 'ada@example.org', password: 'right' }));
    await h.drain();
    expect(result.error).toMatchObject({ code: 'too_many_attempts', status: 429, retryAfter: 12, message: 'slow down' });
  });

  it('logs out: server call, $rootScope.user false, $unauthenticated, getUser rejects', async () => {
    h = createHarness({ loggedIn: true });
    await h.drain();
    h.broadcasts.length = 0;
    document.cookie = 'XSRF-TOKEN=x1; path=/';

    const result = outcome(h.$auth.logout());
    await h.drain();

    expect(result.settled).toBe(true);
    expect(result.error).toBeUndefined();
    expect(header(h.requestsTo('/api/auth/logout')[0]!.headers, 'x-xsrf-token')).toBe('x1');
    expect(h.$rootScope.user).toBe(false);
    expect(h.broadcasts).toEqual([{ name: '$unauthenticated', args: [{ reason: 'logout' }] }]);
    const after = outcome(h.$auth.getUser());
    await h.drain();
    expect(after.error).toMatchObject({ code: 'unauthenticated' });
    document.cookie = 'XSRF-TOKEN=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
  });

  it('logs out locally even when the server cannot be reached', async () => {
    h = createHarness({ loggedIn: true });
    await h.drain();
    h.server.state.overrides.set('POST /api/auth/logout', () => 'network_error' as const);
    const result = outcome(h.$auth.logout());
    await h.drain();
    expect(result.error).toBeUndefined();
    expect(h.$rootScope.user).toBe(false);
  });

  it('reports roles for the UI', async () => {
    h = createHarness({ loggedIn: true });
    await h.drain();
    expect(h.$auth.hasRole('user')).toBe(true);
    expect(h.$auth.hasRole('admin')).toBe(false);
  });
});

describe('the account calls on $auth', () => {
  it('resolve $q promises for forgot, reset and verify', async () => {
    h = createHarness({ loggedIn: false });
    await h.drain();
    h.server.state.overrides.set('POST /api/auth/password/forgot', () => ({ status: 202 }));
    h.server.state.overrides.set('POST /api/auth/password/reset', () => problem(400, 'account_link_invalid'));
    h.server.state.overrides.set('POST /api/auth/email/verify', () => ({ status: 204 }));
    const forgot = outcome(h.$auth.forgotPassword('ada@example.org'));
    const reset = outcome(h.$auth.resetPassword('used-token', 'a brand new passphrase'));
    const verify = outcome(h.$auth.verifyEmail('token'));
    await h.drain();
    expect(forgot).toMatchObject({ settled: true, value: undefined });
    expect(reset.settled && (reset.error as { code: string }).code).toBe('account_link_invalid');
    expect(verify).toMatchObject({ settled: true });
    expect(verify.error).toBeUndefined();
    expect(JSON.parse(h.requestsTo('/api/auth/password/forgot')[0]!.body!)).toEqual({ email: 'ada@example.org' });
  });

  it('signUp resolves null when the server says to check the mail', async () => {
    h = createHarness({ loggedIn: false });
    await h.drain();
    h.server.state.overrides.set('POST /api/auth/signup', () => ({ status: 202 }));
    const result = outcome(h.$auth.signUp({ email: 'new@example.org', password: 'a long passphrase' }));
    await h.drain();
    expect(result).toMatchObject({ settled: true, value: null });
  });
});
