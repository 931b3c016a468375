import { TestBed } from '@angular/core/testing';
import { afterEach, describe, expect, it } from 'vitest';

import { USER } from '../../test-support/fake-auth-server.js';
import { settle, setUp } from './harness.js';

afterEach(() => {
  TestBed.resetTestingModule();
});

describe('AuthService', () => {
  it('resolves the user state at start: undefined, then null for a visitor', async () => {
    const { auth } = setUp('cookie');

    expect(auth.user()).toBeUndefined();
    await settle();

    expect(auth.user()).toBeNull();
    expect(auth.isLoggedIn()).toBe(false);
  });

  it('follows login and logout in its signals', async () => {
    const { auth } = setUp('body');
    await settle();

    await auth.login({ email: 'ada@example.com', password: 'pw' });
    expect(auth.user()?.email).toBe(USER.email);
    expect(auth.isLoggedIn()).toBe(true);

    await auth.logout();
    expect(auth.user()).toBeNull();
    expect(auth.isLoggedIn()).toBe(false);
    expect(auth.expiresAt()).toBeNull();
  });

  it('exposes the access-token expiry when the server tells it (body delivery)', async () => {
    const { auth } = setUp('body');
    await auth.login({ email: 'ada@example.com', password: 'pw' });

    const expiresAt = auth.expiresAt();
    expect(expiresAt).toBeInstanceOf(Date);
    const secondsLeft = ((expiresAt?.getTime() ?? 0) - Date.now()) / 1000;
    expect(secondsLeft).toBeGreaterThan(890);
    expect(secondsLeft).toBeLessThanOrEqual(900);
  });

  it('knows no expiry in cookie delivery, where the token is out of reach', async () => {
    const { auth } = setUp('cookie');
    await auth.login({ email: 'ada@example.com', password: 'pw' });

    expect(auth.expiresAt()).toBeNull();
  });

  it('answers hasRole from the signed-in user', async () => {
    const { auth, server } = setUp('cookie');
    server.state.user = { ...USER, roles: ['admin'] };
    expect(auth.hasRole('admin')).toBe(false);

    await auth.login({ email: 'ada@example.com', password: 'pw' });

    expect(auth.hasRole('admin')).toBe(true);
    expect(auth.hasRole('auditor')).toBe(false);
  });

  it('ends the session when "log out everywhere" succeeds', async () => {
    const { auth, server } = setUp('cookie');
    await auth.login({ email: 'ada@example.com', password: 'pw' });

    await auth.logoutEverywhere();

    expect(server.callsTo('/api/auth/logout-all')).toHaveLength(1);
    expect(server.callsTo('/api/auth/logout')).toHaveLength(1);
    expect(auth.user()).toBeNull();
  });
});
