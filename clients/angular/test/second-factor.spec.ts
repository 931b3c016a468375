import { TestBed } from '@angular/core/testing';
import { afterEach, describe, expect, it } from 'vitest';

import { injectPasskeys } from '../src/index.js';
import { json, USER } from '../../test-support/fake-auth-server.js';
import { setUp } from './harness.js';

afterEach(() => {
  TestBed.resetTestingModule();
});

describe('AuthService and second factors', () => {
  it('holds the pending step in secondStep until completeLogin signs in', async () => {
    const { auth } = setUp('cookie', {}, (server) => {
      server.state.secondFactorCode = '424242';
    });
    await expect(auth.login({ email: USER.email, password: 'pw' })).rejects.toMatchObject({ code: 'mfa_required' });
    expect(auth.secondStep()?.methods).toEqual(['totp', 'recovery_code']);
    expect(auth.isLoggedIn()).toBe(false);

    await expect(auth.completeLogin({ method: 'totp', code: '000000' })).rejects.toMatchObject({
      code: 'second_factor_invalid',
    });
    expect(auth.secondStep()).not.toBeNull();

    const done = await auth.completeLogin({ method: 'totp', code: '424242' });
    expect(done.user.email).toBe(USER.email);
    expect(auth.user()?.email).toBe(USER.email);
    expect(auth.secondStep()).toBeNull();
  });

  it('signs in at once, as before, when the user has no factors', async () => {
    const { auth } = setUp('body');
    await auth.login({ email: USER.email, password: 'pw' });
    expect(auth.isLoggedIn()).toBe(true);
    expect(auth.secondStep()).toBeNull();
  });

  it('re-authenticates the signed-in user, with a second step when they have factors', async () => {
    const { auth, server } = setUp('body');
    await auth.login({ email: USER.email, password: 'pw' });
    await expect(auth.reauthenticate({ password: 'pw' })).resolves.toMatchObject({ id: USER.id });
    server.state.secondFactorCode = '111111';
    await expect(auth.reauthenticate({ password: 'pw' })).rejects.toMatchObject({ code: 'mfa_required' });
    expect(auth.secondStep()).not.toBeNull();
    expect(auth.isLoggedIn()).toBe(true);
    await auth.completeLogin({ method: 'totp', code: '111111' });
    expect(auth.secondStep()).toBeNull();
  });

  it('manages factors through auth.mfa', async () => {
    const { auth, server } = setUp('body');
    server.state.overrides.set('POST /api/auth/mfa/recovery-codes', () => json({ recovery_codes: ['a-b'] }));
    await auth.login({ email: USER.email, password: 'pw' });
    expect(await auth.mfa.regenerateRecoveryCodes()).toEqual(['a-b']);
    expect(server.callsTo('/api/auth/mfa/recovery-codes')[0]!.headers.get('authorization')).toMatch(/^Bearer /);
  });

  it('gives the passkey calls over the same client in an injection context', async () => {
    const { auth, server } = setUp('body');
    server.state.overrides.set('GET /api/auth/passkeys', () => json({ passkeys: [{ id: 'p1', name: 'Laptop' }] }));
    await auth.login({ email: USER.email, password: 'pw' });
    const passkeys = TestBed.runInInjectionContext(() => injectPasskeys());
    expect(await passkeys.list()).toEqual([{ id: 'p1', name: 'Laptop' }]);
  });
});
