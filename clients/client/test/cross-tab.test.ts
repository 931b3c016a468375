import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthClient, type AuthClient, type AuthClientConfig, type UnauthenticatedEvent } from '../src/index.js';
import { createFakeServer, gate, settle, USER } from './fake-server.js';

let channelSerial = 0;
const open: AuthClient[] = [];
afterEach(() => {
  open.splice(0).forEach((c) => { c.dispose(); });
});

/** Two "tabs": two clients on one BroadcastChannel, talking to one server (one cookie jar). */
function twoTabs(server: ReturnType<typeof createFakeServer>, config: AuthClientConfig = {}): [AuthClient, AuthClient] {
  channelSerial += 1;
  const make = (): AuthClient =>
    createAuthClient({ delivery: 'body', fetch: server.fetch, crossTab: `jotauth-test-${channelSerial}`, refreshJitterMs: 0, ...config });
  const tabs: [AuthClient, AuthClient] = [make(), make()];
  open.push(...tabs);
  return tabs;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i += 1) await settle(1);
  expect(condition()).toBe(true);
}

describe('cross-tab coordination (BroadcastChannel)', () => {
  it('logs every tab out when one tab logs out', async () => {
    const server = createFakeServer();
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
    const server = createFakeServer();
    const [a, b] = twoTabs(server);
    await a.login({ email: 'ada@example.org', password: 'right' });
    await until(() => b.user !== undefined && b.user !== null);

    expect(b.user).toEqual(USER);
    expect(b.authHeaders('/api/x')).toEqual({ Authorization: `Bearer ${server.state.currentToken!}` });
    expect(b.expiresAt).toBe(a.expiresAt);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(0);
  });

  it('lets one tab refresh while the other waits and adopts the new token', async () => {
    const server = createFakeServer();
    const [a, b] = twoTabs(server);
    await a.login({ email: 'ada@example.org', password: 'right' });
    await until(() => Boolean(b.user));
    server.expireAccessToken();
    const held = gate();
    server.state.refreshGate = held;

    const refreshA = a.refresh();
    await settle(); // B hears "refreshing"
    const requestB = b.fetch('/api/lessons');
    await settle();
    held.open();

    expect(await refreshA).toBe(true);
    expect((await requestB).status).toBe(200);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
    expect(b.authHeaders('/api/x')).toEqual(a.authHeaders('/api/x'));
  });

  it('refreshes itself when the other tab announced a refresh and then went silent', async () => {
    const server = createFakeServer();
    const [a, b] = twoTabs(server, { crossTabWaitMs: 1000 }); // roomy: the check below must run well before it
    await a.login({ email: 'ada@example.org', password: 'right' });
    await until(() => Boolean(b.user));
    const silent = new BroadcastChannel(`jotauth-test-${channelSerial}`);
    silent.postMessage({ type: 'refreshing' });
    await settle();

    const refreshed = b.refresh();
    await settle(2);
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(0); // still waiting for the other tab
    expect(await refreshed).toBe(true);
    silent.close();

    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
  });

  it('does not log other tabs out when a page that never had a user finds no session', async () => {
    const server = createFakeServer();
    const [a, b] = twoTabs(server);
    await a.login({ email: 'ada@example.org', password: 'right' });
    await until(() => Boolean(b.user));
    const late = createAuthClient({ delivery: 'body', fetch: server.fetch, crossTab: `jotauth-test-${channelSerial}` });
    open.push(late);
    server.state.refreshFailure = () => new Response(null, { status: 401 }); // e.g. its refresh raced a login

    expect(await late.getUser()).toBeNull();
    await settle();

    expect(a.user).toEqual(USER);
    expect(b.user).toEqual(USER);
  });

  it('ignores malformed messages on the channel', async () => {
    const server = createFakeServer();
    const [a, b] = twoTabs(server);
    await a.login({ email: 'ada@example.org', password: 'right' });
    await until(() => Boolean(b.user));
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
      const server = createFakeServer();
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
    const server = createFakeServer();
    channelSerial += 1;
    const a = createAuthClient({ delivery: 'body', fetch: server.fetch, crossTab: false });
    const b = createAuthClient({ delivery: 'body', fetch: server.fetch, crossTab: false });
    open.push(a, b);
    await a.login({ email: 'ada@example.org', password: 'right' });
    await settle();
    expect(b.user).toBeUndefined();
  });
});
