import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAuthClient, type AuthClient, type AuthClientConfig } from '../src/index.js';
import { proactiveRefreshDelay } from '../src/refresh-timing.js';
import { createFakeAuthServer, problem } from '../../test-support/fake-auth-server.js';

let client: AuthClient | null = null;
beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1, 12, 0, 0) });
});
afterEach(() => {
  client?.dispose();
  client = null;
  vi.useRealTimers();
});

async function loggedIn(ttlSeconds: number, config: AuthClientConfig = {}) {
  const server = createFakeAuthServer({ ttlSeconds, delivery: config.delivery ?? 'body' });
  client = createAuthClient({ delivery: 'body', fetch: server.fetch, crossTab: false, refreshJitterMs: 0, ...config });
  await client.login({ email: 'ada@example.org', password: 'right' });
  return { server, auth: client, refreshes: () => server.callsTo('/api/auth/refresh').length };
}

describe('proactive refresh before expiry', () => {
  it('refreshes a 15-minute token 30 s before it expires, then schedules the next one', async () => {
    const { auth, refreshes } = await loggedIn(900);
    const firstExpiry = auth.expiresAt!;

    await vi.advanceTimersByTimeAsync(869_999);
    expect(refreshes()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(refreshes()).toBe(1);
    expect(auth.expiresAt).toBe(firstExpiry + 870_000);

    await vi.advanceTimersByTimeAsync(870_000);
    expect(refreshes()).toBe(2);
  });

  it('refreshes a 1-minute token after 45 s (a quarter of its life ahead), not at once', async () => {
    const { refreshes } = await loggedIn(60);
    await vi.advanceTimersByTimeAsync(44_999);
    expect(refreshes()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(refreshes()).toBe(1);
  });

  it('honours refreshBeforeSeconds and the per-tab jitter', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const { refreshes } = await loggedIn(900, { refreshBeforeSeconds: 120, refreshJitterMs: 2000 });
    await vi.advanceTimersByTimeAsync(778_999); // 900 - 120 - 1 s of jitter = 779 s
    expect(refreshes()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(refreshes()).toBe(1);
  });

  it('tells listeners the new expiry', async () => {
    const { auth } = await loggedIn(900);
    const expiries: (number | null)[] = [];
    auth.on('expiry', (value) => expiries.push(value));
    await vi.advanceTimersByTimeAsync(870_000);
    expect(expiries).toEqual([Date.now() + 900_000]);
  });

  it('retries every 5 s while the server is unavailable, without logging out', async () => {
    const { server, auth, refreshes } = await loggedIn(900);
    server.state.refreshFailure = () => problem(503, 'unavailable');
    await vi.advanceTimersByTimeAsync(870_000);
    expect(refreshes()).toBe(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(refreshes()).toBe(2);
    server.state.refreshFailure = null;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(refreshes()).toBe(3);
    expect(auth.user).not.toBeNull();
    expect(auth.expiresAt).toBe(Date.now() + 900_000);
  });

  it('stops retrying once the token has expired', async () => {
    const { server, refreshes } = await loggedIn(60);
    server.state.refreshFailure = () => problem(503, 'unavailable');
    await vi.advanceTimersByTimeAsync(45_000 + 5_000 * 3); // 45, 50, 55, 60 s: the last try is at expiry
    const tries = refreshes();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(refreshes()).toBe(tries);
  });

  it('logs out when the proactive refresh is refused', async () => {
    const { server, auth } = await loggedIn(900);
    server.state.refreshFailure = () => problem(401, 'session_revoked');
    const reasons: string[] = [];
    auth.on('unauthenticated', (event) => reasons.push(`${event.reason}:${event.code ?? ''}`));
    await vi.advanceTimersByTimeAsync(870_000);
    expect(auth.user).toBeNull();
    expect(reasons).toEqual(['session_ended:session_revoked']);
  });

  it('cancels the timer on logout', async () => {
    const { auth, refreshes } = await loggedIn(900);
    await auth.logout();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(refreshes()).toBe(0);
  });

  it('does not schedule anything in cookie delivery when the server does not tell the expiry', async () => {
    const { auth, refreshes } = await loggedIn(900, { delivery: 'cookie' });
    expect(auth.expiresAt).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(refreshes()).toBe(0);
  });

  it('resumes the schedule from a token kept in sessionStorage', async () => {
    sessionStorage.clear();
    const first = await loggedIn(900, { storage: 'session' });
    first.auth.dispose();
    await vi.advanceTimersByTimeAsync(600_000);
    client = createAuthClient({ delivery: 'body', storage: 'session', fetch: first.server.fetch, crossTab: false, refreshJitterMs: 0 });
    await vi.advanceTimersByTimeAsync(269_999);
    expect(first.refreshes()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(first.refreshes()).toBe(1);
    sessionStorage.clear();
  });
});

describe('proactiveRefreshDelay', () => {
  it.each([
    [900_000, 30_000, 0, 870_000],
    [60_000, 30_000, 0, 45_000],
    [60_000, 30_000, 2_000, 43_000],
    [0, 30_000, 0, 0],
    [-5_000, 30_000, 0, 0],
    [40 * 86_400_000, 30_000, 0, 2_147_483_647],
  ])('remaining %i ms, lead %i, jitter %i → %i ms', (remaining, before, jitter, expected) => {
    expect(proactiveRefreshDelay(1_000_000 + remaining, 1_000_000, before, jitter)).toBe(expected);
  });
});
