import { afterEach, describe, expect, it } from 'vitest';
import { json } from '../../test-support/fake-auth-server.js';
import { createHarness, outcome, USER, type Harness } from './harness.js';

let h: Harness | null = null;
afterEach(() => {
  h?.destroy();
  h = null;
});

async function anonymousWithFactor(): Promise<Harness> {
  const harness = createHarness();
  harness.server.state.secondFactorCode = '654321';
  await harness.drain();
  return harness;
}

describe('$auth and second factors', () => {
  it('rejects login with mfa_required, then completeLogin sets $rootScope.user', async () => {
    h = await anonymousWithFactor();
    const first = outcome(h.$auth.login({ email: USER.email, password: 'right' }));
    await h.drain();
    expect(first.error).toMatchObject({ code: 'mfa_required' });
    expect(h.$auth.secondStep()?.methods).toEqual(['totp', 'recovery_code']);
    expect(h.$rootScope.user).toBe(false);

    const wrong = outcome(h.$auth.completeLogin({ method: 'totp', code: '000000' }));
    await h.drain();
    expect(wrong.error).toMatchObject({ code: 'second_factor_invalid' });

    const done = outcome(h.$auth.completeLogin({ method: 'recovery_code', code: '654321' }));
    await h.drain();
    expect(done.value?.user).toEqual(USER);
    expect(h.$rootScope.user).toEqual(USER);
    expect(h.$auth.secondStep()).toBeNull();
  });

  it('re-authenticates and manages factors with $q promises', async () => {
    h = createHarness({ loggedIn: true });
    await h.drain();
    h.server.state.overrides.set('POST /api/auth/mfa/totp/confirm', () => json({ recovery_codes: ['x-y'] }));
    const again = outcome(h.$auth.reauthenticate({ password: 'right' }));
    const codes = outcome(h.$auth.mfa.confirmTotp('123456'));
    await h.drain();
    expect(again.value).toEqual(USER);
    expect(codes.value).toEqual(['x-y']);
  });

  it('lists passkeys with a $q promise', async () => {
    h = createHarness({ loggedIn: true });
    await h.drain();
    h.server.state.overrides.set('GET /api/auth/passkeys', () => json({ passkeys: [{ id: 'p1', name: null }] }));
    const listed = outcome(h.$auth.passkeys.list());
    await h.drain();
    expect(listed.value).toEqual([{ id: 'p1', name: null }]);
  });
});
