import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, createAuthClient, type AuthClient } from '../src/index.js';
import { createFakeAuthServer, json, problem, WRONG_PASSWORD } from '../../test-support/fake-auth-server.js';

let client: AuthClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

const CODE = '123456';

function setUp(delivery: 'cookie' | 'body' = 'body', code: string | null = CODE) {
  const server = createFakeAuthServer({ delivery });
  server.state.secondFactorCode = code;
  client = createAuthClient({ delivery, fetch: server.fetch, crossTab: false, locks: null });
  return { server, auth: client };
}

async function loginError(auth: AuthClient, password = 'a fine passphrase'): Promise<AuthError> {
  const error: unknown = await auth.login({ email: 'ada@example.org', password }).then(
    () => null,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

describe('login with a second factor', () => {
  it('resolves with the user at once when the user has no factors (unchanged)', async () => {
    const { auth } = setUp('body', null);
    const user = await auth.login({ email: 'ada@example.org', password: 'a fine passphrase' });
    expect(user.email).toBe('ada@example.org');
    expect(auth.secondStep).toBeNull();
  });

  it('rejects with mfa_required, the methods and no session; completeLogin signs in', async () => {
    for (const delivery of ['body', 'cookie'] as const) {
      const { server, auth } = setUp(delivery);
      const error = await loginError(auth);
      expect(error.code).toBe('mfa_required');
      expect(error.mfa).toMatchObject({ methods: ['totp', 'recovery_code'], enrollmentRequired: false, passkey: null });
      expect(error.mfa?.expiresAt).toBeGreaterThan(Date.now());
      expect(auth.secondStep).toBe(error.mfa);
      expect(auth.user).toBeUndefined();
      expect(server.callsTo('/api/auth/me')).toHaveLength(0);

      const done = await auth.completeLogin({ method: 'totp', code: CODE });
      expect(done.user.email).toBe('ada@example.org');
      expect(done.recoveryCodes).toBeNull();
      expect(auth.user).toEqual(done.user);
      expect(auth.secondStep).toBeNull();
      expect(JSON.parse(server.callsTo('/api/auth/login/mfa')[0]!.body!)).toEqual({
        mfa_token: error.mfa?.mfaToken,
        method: 'totp',
        code: CODE,
      });
      client?.dispose();
    }
  });

  it('keeps the step after a wrong code and drops it once the server ends the attempt', async () => {
    const { auth } = setUp();
    await loginError(auth);
    const pending = auth.secondStep;
    await expect(auth.completeLogin({ method: 'totp', code: '000000' })).rejects.toMatchObject({
      code: 'second_factor_invalid',
      status: 401,
    });
    expect(auth.secondStep).toBe(pending);
    await auth.completeLogin({ method: 'totp', code: '000001' }).catch(() => undefined);
    // The fake's third wrong code uses the token up: the next answer is mfa_token_invalid.
    await auth.completeLogin({ method: 'totp', code: '000002' }).catch(() => undefined);
    await expect(auth.completeLogin({ method: 'totp', code: CODE })).rejects.toMatchObject({ code: 'mfa_token_invalid' });
    expect(auth.secondStep).toBeNull();
    expect(auth.user).toBeUndefined();
  });

  it('refuses completeLogin with nothing pending, without a request', async () => {
    const { server, auth } = setUp();
    await expect(auth.completeLogin({ method: 'recovery_code', code: 'abcd-efgh' })).rejects.toMatchObject({
      code: 'mfa_token_invalid',
      status: 0,
    });
    expect(server.callsTo('/api/auth/login/mfa')).toHaveLength(0);
  });

  it('reads an enrolment step and the recovery codes of its confirmation', async () => {
    const { server, auth } = setUp();
    server.state.overrides.set('POST /api/auth/login', () =>
      json({ mfa_required: true, mfa_token: 'enrol', expires_in: 300, methods: [], enrollment_required: true }),
    );
    server.state.overrides.set('POST /api/auth/login/mfa', () => {
      const issued = server.issue() as { body: Record<string, unknown> };
      return json({ ...issued.body, recovery_codes: ['aaaa-bbbb', 'cccc-dddd'] });
    });
    const error = await loginError(auth);
    expect(error.mfa).toMatchObject({ methods: [], enrollmentRequired: true });
    const done = await auth.completeLogin({ method: 'totp', code: CODE });
    expect(done.recoveryCodes).toEqual(['aaaa-bbbb', 'cccc-dddd']);
  });

  it('keeps passkey request options of the step', async () => {
    const { server, auth } = setUp();
    const options = { challenge: 'Y2g', rpId: 'localhost', allowCredentials: [] };
    server.state.overrides.set('POST /api/auth/login', () =>
      json({ mfa_required: true, mfa_token: 't', methods: ['passkey', 'totp'], passkey: options }),
    );
    const error = await loginError(auth);
    expect(error.mfa).toMatchObject({ methods: ['passkey', 'totp'], passkey: options, expiresAt: null });
  });

  it('ignores a body that only looks like a step (no token)', async () => {
    const { server, auth } = setUp('body', null);
    server.state.overrides.set('POST /api/auth/login', () => {
      const issued = server.issue() as { body: Record<string, unknown> };
      return json({ ...issued.body, mfa_required: 'yes' });
    });
    await expect(auth.login({ email: 'ada@example.org', password: 'x' })).resolves.toMatchObject({ id: 'u1' });
  });

  it('a wrong password is still invalid_credentials', async () => {
    const { auth } = setUp();
    expect((await loginError(auth, WRONG_PASSWORD)).code).toBe('invalid_credentials');
    expect(auth.secondStep).toBeNull();
  });

  it('keeps the step when the page learns meanwhile that it had no session', async () => {
    const { server, auth } = setUp('cookie');
    const me = auth.getUser(); // the start-up /me, still on its way (its 401 comes last)
    await loginError(auth);
    expect(await me).toBeNull();
    expect(server.callsTo('/api/auth/me').length).toBeGreaterThan(0);
    expect(auth.secondStep).not.toBeNull();
  });

  it('logout forgets a pending step', async () => {
    const { auth } = setUp();
    await loginError(auth);
    await auth.logout();
    expect(auth.secondStep).toBeNull();
  });
});

describe('reauthenticate', () => {
  async function signedIn(delivery: 'cookie' | 'body', code: string | null) {
    const setup = setUp(delivery, null);
    await setup.auth.login({ email: 'ada@example.org', password: 'a fine passphrase' });
    setup.server.state.secondFactorCode = code;
    setup.server.calls.length = 0;
    return setup;
  }

  it('refreshes the session of a user without factors, the user staying signed in', async () => {
    for (const delivery of ['body', 'cookie'] as const) {
      const { server, auth } = await signedIn(delivery, null);
      const seen: unknown[] = [];
      auth.subscribe((user) => seen.push(user));
      const user = await auth.reauthenticate({ password: 'a fine passphrase' });
      expect(user.id).toBe('u1');
      expect(seen).not.toContain(undefined);
      const [call] = server.callsTo('/api/auth/reauthenticate');
      expect(JSON.parse(call!.body!)).toEqual({ password: 'a fine passphrase', delivery });
      // It proves the signed-in session: its credentials go along.
      if (delivery === 'body') expect(call!.headers.get('authorization')).toMatch(/^Bearer /);
      client?.dispose();
    }
  });

  it('asks for the second step of a user with factors, finished by completeLogin', async () => {
    const { server, auth } = await signedIn('body', CODE);
    await expect(auth.reauthenticate({ password: 'a fine passphrase' })).rejects.toMatchObject({ code: 'mfa_required' });
    expect(auth.user).toMatchObject({ id: 'u1' });
    const done = await auth.completeLogin({ method: 'totp', code: CODE });
    expect(done.user.id).toBe('u1');
    expect(server.callsTo('/api/auth/login/mfa')[0]!.headers.get('authorization')).toMatch(/^Bearer /);
  });

  it('a wrong password is an answer, not a reason to refresh', async () => {
    const { server, auth } = await signedIn('body', null);
    await expect(auth.reauthenticate({ password: WRONG_PASSWORD })).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(0);
    expect(server.callsTo('/api/auth/reauthenticate')).toHaveLength(1);
    expect(auth.user).toMatchObject({ id: 'u1' });
  });

  it('an access token that expired meanwhile is refreshed once, then the proof is sent again', async () => {
    const { server, auth } = await signedIn('cookie', null);
    server.expireAccessToken();
    await expect(auth.reauthenticate({ password: 'a fine passphrase' })).resolves.toMatchObject({ id: 'u1' });
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(1);
    expect(server.callsTo('/api/auth/reauthenticate')).toHaveLength(2);
  });

  it('passes a 403 of the server on as an AuthError', async () => {
    const { server, auth } = await signedIn('body', null);
    server.state.overrides.set('POST /api/auth/reauthenticate', () => problem(403, 'forbidden'));
    await expect(auth.reauthenticate()).rejects.toMatchObject({ status: 403 });
  });
});
