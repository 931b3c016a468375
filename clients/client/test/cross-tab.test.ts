import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthClient, type AuthClient, type AuthClientConfig, type UnauthenticatedEvent } from '../src/index.js';
import { createFakeAuthServer, gate, problem, settle, USER } from '../../test-support/fake-auth-server.js';
import { createFakeLocks } from './fake-locks.js';

let channelSerial = 0;
const open: AuthClient[] = [];
afterEach(() => {
  open.splice(0).forEach((c) => { c.dispose(); });
});

/**
 * Two "tabs": two clients on one BroadcastChannel and one lock manager, talking to one server
 * (one cookie jar).
 */
function twoTabs(
  server: ReturnType<typeof createFakeAuthServer>,
  config: AuthClientConfig = {},
): [AuthClient, AuthClient] {
  channelSerial += 1;
  const locks = config.locks === undefined ? createFakeLocks(20) : config.locks;
  const make = (): AuthClient =>
    createAuthClient({
      delivery: 'body',
      fetch: server.fetch,
      crossTab: `jotauth-test-${channelSerial}`,
      refreshJitterMs: 0,
      ...config,
      locks,
    });
  const tabs: [AuthClient, AuthClient] = [make(), make()];
  open.push(...tabs);
  return tabs;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i += 1) await settle(1);
  expect(condition()).toBe(true);
}

/** Two tabs after a login in the first has reached the second. */
async function signedInTabs(server: ReturnType<typeof createFakeAuthServer>): Promise<[AuthClient, AuthClient]> {
  const [a, b] = twoTabs(server);
  await a.login({ email: 'ada@example.org', password: 'right' });
  await until(() => Boolean(b.user));
  return [a, b];
}

describe('cross-tab coordination (Web Locks for the refresh, BroadcastChannel for notices)', () => {
  it('logs every tab out when one tab logs out', async () => {
    const server = createFakeAuthServer();
    const [a, b] = twoTabs(server);
    await a.login({ email: 'ada@example.org', password: 'right' });
    await until(() => b.user !== undefined && b.user !== null);
    const events: UnauthenticatedEvent[] = [];
    b.on('unauthenticated', (event) => events.push(event));

    await a.logout();
    await until(() => b.user === null);

    expect(events).toEqual([{ reason: 'other_tab' }]);
    expect(b.authHeaders('/api/x')).toEqual({});
    expect(server.callsTo('/api/auth/logout')).toHaveLength(1); // the other tab does not log out again
  });

  it('shares a login: the other tab adopts the token and loads the user without refreshing', async () => {
    const server = createFakeAuthServer();
    const [a, b] = twoTabs(server);
    await a.login({ email: 'ada@example.org', password: 'right' });
    await until(() => b.user !== undefined && b.user !== null);

    expect(b.user).toEqual(USER);
    expect(b.authHeaders('/api/x')).toEqual({ Authorization: `Bearer ${server.state.currentToken!}` });
    expect(b.expiresAt).toBe(a.expiresAt);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(0);
  });

  it('lets one tab refresh while the other waits on the lock and then uses the new token', async () => {
    const server = createFakeAuthServer();
    const [a, b] = await signedInTabs(server);
    server.expireAccessToken();
    const held = gate();
    server.state.refreshGate = held;

    const refreshA = a.refresh();
    await settle();
    const requestB = b.fetch('/api/lessons'); // 401, then B queues on the refresh lock
    await settle();
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
    held.open();

    expect(await refreshA).toBe(true);
    expect((await requestB).status).toBe(200);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
    expect(b.authHeaders('/api/x')).toEqual(a.authHeaders('/api/x'));
  });

  it('never lets two tabs refresh at once, even when the notice comes after the lock', async () => {
    const server = createFakeAuthServer();
    const locks = createFakeLocks(0);
    const held = gate();
    let inFlight = 0;
    let most = 0;
    const serverFetch = server.fetch;
    const counting: typeof fetch = async (input, init) => {
      const isRefresh = typeof input === 'string' && input.endsWith('/api/auth/refresh');
      if (isRefresh) most = Math.max(most, (inFlight += 1));
      try {
        return await serverFetch(input, init);
      } finally {
        if (isRefresh) inFlight -= 1;
      }
    };
    vi.stubGlobal('BroadcastChannel', undefined); // no notices at all: the lock alone must do
    const c = createAuthClient({ delivery: 'body', fetch: counting, crossTab: 'jotauth-silent', locks });
    const d = createAuthClient({ delivery: 'body', fetch: counting, crossTab: 'jotauth-silent', locks });
    vi.unstubAllGlobals();
    open.push(c, d);
    await c.login({ email: 'ada@example.org', password: 'right' });

    server.state.refreshGate = held;
    const both = Promise.all([c.refresh(), d.refresh()]);
    await settle();
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1); // the other waits on the lock
    held.open();

    expect(await both).toEqual([true, true]);
    expect(most).toBe(1);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(2); // no notice between them: one after the other
  });

  it('gives up without refreshing when the tab holding the lock ended the session', async () => {
    const server = createFakeAuthServer();
    const [a, b] = await signedInTabs(server);
    const held = gate();
    server.state.refreshGate = held;
    server.state.refreshFailure = () => problem(401, 'session_revoked');

    const refreshA = a.refresh();
    await settle();
    const refreshB = b.refresh();
    await settle();
    held.open();

    expect(await refreshA).toBe(false);
    expect(await refreshB).toBe(false);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
    expect(b.user).toBeNull();
  });

  it('still sends one refresh for many callers in a tab without Web Locks', async () => {
    const server = createFakeAuthServer();
    const [a] = twoTabs(server, { locks: null });
    await a.login({ email: 'ada@example.org', password: 'right' });

    expect(await Promise.all([a.refresh(), a.refresh(), a.refresh()])).toEqual([true, true, true]);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
  });

  it('does not log other tabs out when a page that never had a user finds no session', async () => {
    const server = createFakeAuthServer();
    const [a, b] = await signedInTabs(server);
    const late = createAuthClient({ delivery: 'body', fetch: server.fetch, crossTab: `jotauth-test-${channelSerial}` });
    open.push(late);
    server.state.refreshFailure = () => new Response(null, { status: 401 }); // e.g. its refresh raced a login

    expect(await late.getUser()).toBeNull();
    await settle();

    expect(a.user).toEqual(USER);
    expect(b.user).toEqual(USER);
  });

  it('ignores malformed messages on the channel', async () => {
    const server = createFakeAuthServer();
    const [, b] = await signedInTabs(server);
    const stranger = new BroadcastChannel(`jotauth-test-${channelSerial}`);
    for (const junk of [null, 'logout', { type: 'nuke' }, { type: 'refreshed', token: { accessToken: 42 } }, [1]]) {
      stranger.postMessage(junk);
    }
    await settle();
    stranger.close();

    expect(b.user).toEqual(USER);
    expect(b.authHeaders('/api/x')).toEqual({ Authorization: `Bearer ${server.state.currentToken!}` });
  });

  it.each([
    ['missing', undefined],
    [
      'refused',
      function RefusedBroadcastChannel(): never {
        throw new DOMException('opaque origin', 'SecurityError');
      },
    ],
  ])('works on its own when BroadcastChannel is %s', async (_why, replacement) => {
    vi.stubGlobal('BroadcastChannel', replacement);
    try {
      const server = createFakeAuthServer();
      const auth = createAuthClient({ delivery: 'body', fetch: server.fetch });
      open.push(auth);
      expect(await auth.login({ email: 'ada@example.org', password: 'right' })).toEqual(USER);
      await auth.logout();
      expect(auth.user).toBeNull();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('runs without BroadcastChannel when cross-tab is off', async () => {
    const server = createFakeAuthServer();
    channelSerial += 1;
    const a = createAuthClient({ delivery: 'body', fetch: server.fetch, crossTab: false });
    const b = createAuthClient({ delivery: 'body', fetch: server.fetch, crossTab: false });
    open.push(a, b);
    await a.login({ email: 'ada@example.org', password: 'right' });
    await settle();
    expect(b.user).toBeUndefined();
  });
});
