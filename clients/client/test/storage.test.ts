import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthClient, createTokenStorage, type AuthClient, type StoredToken, type TokenStorage } from '../src/index.js';
import { createFakeAuthServer } from '../../test-support/fake-auth-server.js';

const clients: AuthClient[] = [];
function track(client: AuthClient): AuthClient {
  clients.push(client);
  return client;
}
beforeEach(() => {
  sessionStorage.clear();
  localStorage.clear();
});
afterEach(() => {
  clients.splice(0).forEach((c) => { c.dispose(); });
});

describe('token storage strategies (body delivery)', () => {
  it('keeps the token in memory by default: nothing in web storage, gone for a new instance', async () => {
    const server = createFakeAuthServer();
    const auth = track(createAuthClient({ delivery: 'body', fetch: server.fetch, crossTab: false }));
    await auth.login({ email: 'ada@example.org', password: 'right' });

    expect(auth.authHeaders('/api/x')).toEqual({ Authorization: `Bearer ${server.state.currentToken!}` });
    expect(sessionStorage.length + localStorage.length).toBe(0);
    const reloaded = track(createAuthClient({ delivery: 'body', fetch: server.fetch, crossTab: false }));
    expect(reloaded.authHeaders('/api/x')).toEqual({});
  });

  it.each([
    ['session', () => sessionStorage],
    ['local', () => localStorage],
  ] as const)('persists the token in %sStorage across a reload', async (kind, area) => {
    const server = createFakeAuthServer();
    const auth = track(createAuthClient({ delivery: 'body', storage: kind, fetch: server.fetch, crossTab: false }));
    await auth.login({ email: 'ada@example.org', password: 'right' });

    expect(JSON.parse(area().getItem('jotauth.token')!)).toMatchObject({ accessToken: server.state.currentToken });
    const reloaded = track(createAuthClient({ delivery: 'body', storage: kind, fetch: server.fetch, crossTab: false }));
    expect(reloaded.authHeaders('/api/x')).toEqual({ Authorization: `Bearer ${server.state.currentToken!}` });
    expect(reloaded.expiresAt).toBe(auth.expiresAt);
    expect(await reloaded.getUser()).toMatchObject({ id: 'u1' });
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(0);
  });

  it('clears web storage on logout', async () => {
    const server = createFakeAuthServer();
    const auth = track(createAuthClient({ delivery: 'body', storage: 'session', fetch: server.fetch, crossTab: false }));
    await auth.login({ email: 'ada@example.org', password: 'right' });
    await auth.logout();
    expect(sessionStorage.getItem('jotauth.token')).toBeNull();
  });

  it.each([
    ['not JSON', '{{{'],
    ['JSON null', 'null'],
    ['no token', '{"expiresAt":1}'],
    ['an empty token', '{"accessToken":"","expiresAt":null}'],
    ['a non-numeric expiry', '{"accessToken":"t","expiresAt":"soon"}'],
  ])('drops a stored value that is %s', (_why, raw) => {
    sessionStorage.setItem('k', raw);
    const storage = createTokenStorage('session', 'k');
    expect(storage.load()).toBeNull();
    expect(sessionStorage.getItem('k')).toBeNull();
  });

  it('uses a storage object supplied by the app', async () => {
    const saved: StoredToken[] = [];
    const custom: TokenStorage = { load: () => saved.at(-1) ?? null, save: (t) => saved.push(t), clear: () => undefined };
    expect(createTokenStorage(custom, 'ignored')).toBe(custom);
    const server = createFakeAuthServer();
    const auth = track(createAuthClient({ delivery: 'body', storage: custom, fetch: server.fetch, crossTab: false }));
    await auth.login({ email: 'ada@example.org', password: 'right' });
    expect(saved).toHaveLength(1);
  });

  it('never uses web storage in cookie delivery', async () => {
    const server = createFakeAuthServer({ delivery: 'cookie' });
    const auth = track(createAuthClient({ delivery: 'cookie', storage: 'local', fetch: server.fetch, crossTab: false }));
    await auth.login({ email: 'ada@example.org', password: 'right' });
    expect(localStorage.length).toBe(0);
  });
});
