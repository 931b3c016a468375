// The WebAuthn ceremony itself runs in real Chromium with a virtual authenticator
// (tests/e2e/browser/test_demo_second_factors_in_chromium.py); jsdom has no WebAuthn, so
// here @simplewebauthn/browser is replaced and only the client's side of the calls is checked.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const webauthn = vi.hoisted(() => ({
  startRegistration: vi.fn(),
  startAuthentication: vi.fn(),
  cancelCeremony: vi.fn(),
}));

vi.mock('@simplewebauthn/browser', () => {
  class WebAuthnError extends Error {
    constructor(readonly code: string, cause: Error) {
      super(cause.message, { cause });
    }
  }
  return {
    startRegistration: webauthn.startRegistration,
    startAuthentication: webauthn.startAuthentication,
    browserSupportsWebAuthn: () => false,
    browserSupportsWebAuthnAutofill: () => Promise.resolve(false),
    WebAuthnAbortService: { cancelCeremony: webauthn.cancelCeremony },
    WebAuthnError,
  };
});

import { createAuthClient, type AuthClient } from '../src/index.js';
import { createPasskeyApi, passkeysSupported } from '../src/passkeys.js';
import { createFakeAuthServer, json, problem } from '../../test-support/fake-auth-server.js';

let client: AuthClient | null = null;
beforeEach(() => {
  webauthn.startRegistration.mockReset();
  webauthn.startAuthentication.mockReset();
});
afterEach(() => {
  client?.dispose();
  client = null;
});

const CREATION = { challenge: 'Y2hhbGxlbmdl', rp: { id: 'localhost', name: 'jotauth' }, user: { id: 'dQ', name: 'ada', displayName: 'Ada' }, pubKeyCredParams: [] };
const REQUEST = { challenge: 'cmVxdWVzdA', rpId: 'localhost', userVerification: 'required' };
const ATTESTATION = { id: 'cred-1', rawId: 'cred-1', type: 'public-key', response: {} };
const ASSERTION = { id: 'cred-1', rawId: 'cred-1', type: 'public-key', response: { userHandle: 'dQ' } };

function setUp(delivery: 'cookie' | 'body' = 'body') {
  const server = createFakeAuthServer({ delivery });
  client = createAuthClient({ delivery, fetch: server.fetch, crossTab: false, locks: null });
  return { server, auth: client, passkeys: createPasskeyApi(client) };
}

describe('createPasskeyApi', () => {
  it('registers: options from the server, the ceremony, the credential and the name back', async () => {
    const { server, auth, passkeys } = setUp();
    await auth.login({ email: 'ada@example.org', password: 'x' });
    server.state.overrides.set('POST /api/auth/passkeys/register/options', () => json(CREATION));
    server.state.overrides.set('POST /api/auth/passkeys/register', () => json({ id: 'pk1', name: 'Laptop' }, 201));
    webauthn.startRegistration.mockResolvedValue(ATTESTATION);
    expect(await passkeys.register('Laptop')).toEqual({ id: 'pk1', name: 'Laptop' });
    expect(webauthn.startRegistration).toHaveBeenCalledWith({ optionsJSON: CREATION });
    expect(JSON.parse(server.callsTo('/api/auth/passkeys/register')[0]!.body!)).toEqual({
      credential: ATTESTATION,
      name: 'Laptop',
    });
  });

  it('takes options under publicKey and sends the fields beside them back', async () => {
    const { server, auth, passkeys } = setUp();
    await auth.login({ email: 'ada@example.org', password: 'x' });
    server.state.overrides.set('POST /api/auth/passkeys/register/options', () =>
      json({ publicKey: CREATION, registration_id: 'r1' }),
    );
    server.state.overrides.set('POST /api/auth/passkeys/register', () => json({ passkey: { id: 'pk1', name: null } }));
    webauthn.startRegistration.mockResolvedValue(ATTESTATION);
    expect(await passkeys.register()).toEqual({ id: 'pk1', name: null });
    expect(webauthn.startRegistration).toHaveBeenCalledWith({ optionsJSON: CREATION });
    expect(JSON.parse(server.callsTo('/api/auth/passkeys/register')[0]!.body!)).toEqual({
      registration_id: 'r1',
      credential: ATTESTATION,
    });
  });

  it('lists, renames and removes', async () => {
    const { server, auth, passkeys } = setUp();
    await auth.login({ email: 'ada@example.org', password: 'x' });
    server.state.overrides.set('GET /api/auth/passkeys', () => json({ passkeys: [{ id: 'a/b', name: 'Phone' }] }));
    server.state.overrides.set('PATCH /api/auth/passkeys/a%2Fb', () => ({ status: 204 }));
    server.state.overrides.set('DELETE /api/auth/passkeys/a%2Fb', () => ({ status: 204 }));
    const [listed] = await passkeys.list();
    await passkeys.rename(listed!.id, 'Old phone');
    await passkeys.remove(listed!.id);
    expect(JSON.parse(server.callsTo('/api/auth/passkeys/a%2Fb')[0]!.body!)).toEqual({ name: 'Old phone' });
    expect(server.callsTo('/api/auth/passkeys/a%2Fb').map((c) => c.method)).toEqual(['PATCH', 'DELETE']);
  });

  it('signs in without a password and starts the session', async () => {
    for (const delivery of ['body', 'cookie'] as const) {
      const { server, auth, passkeys } = setUp(delivery);
      server.state.overrides.set('POST /api/auth/passkeys/login/options', () => json(REQUEST));
      server.state.overrides.set('POST /api/auth/passkeys/login', () => server.issue());
      webauthn.startAuthentication.mockResolvedValue(ASSERTION);
      const user = await passkeys.signIn({ autofill: true });
      expect(user.id).toBe('u1');
      expect(auth.user).toMatchObject({ id: 'u1' });
      expect(webauthn.startAuthentication).toHaveBeenLastCalledWith({ optionsJSON: REQUEST, useBrowserAutofill: true });
      expect(JSON.parse(server.callsTo('/api/auth/passkeys/login')[0]!.body!)).toEqual({ credential: ASSERTION, delivery });
      client?.dispose();
    }
  });

  it('turns a dismissed prompt into passkey_cancelled, and sends nothing', async () => {
    const { server, passkeys } = setUp();
    server.state.overrides.set('POST /api/auth/passkeys/login/options', () => json(REQUEST));
    webauthn.startAuthentication.mockRejectedValue(Object.assign(new Error('denied'), { name: 'NotAllowedError' }));
    await expect(passkeys.signIn()).rejects.toMatchObject({ code: 'passkey_cancelled' });
    webauthn.startAuthentication.mockRejectedValue(new Error('no authenticator'));
    await expect(passkeys.signIn()).rejects.toMatchObject({ code: 'passkey_failed' });
    expect(server.callsTo('/api/auth/passkeys/login')).toHaveLength(0);
  });

  it('passes a refused assertion on with the server code', async () => {
    const { server, auth, passkeys } = setUp();
    server.state.overrides.set('POST /api/auth/passkeys/login/options', () => json(REQUEST));
    server.state.overrides.set('POST /api/auth/passkeys/login', () => problem(401, 'passkey_invalid'));
    webauthn.startAuthentication.mockResolvedValue(ASSERTION);
    await expect(passkeys.signIn()).rejects.toMatchObject({ status: 401, serverCode: 'passkey_invalid' });
    expect(auth.user).toBeUndefined();
  });

  it('proves the second step of a login with the options of the step', async () => {
    const { server, auth, passkeys } = setUp();
    server.state.overrides.set('POST /api/auth/login', () =>
      json({ mfa_required: true, mfa_token: 'm1', methods: ['passkey'], passkey: REQUEST }),
    );
    server.state.overrides.set('POST /api/auth/login/mfa', () => server.issue());
    webauthn.startAuthentication.mockResolvedValue(ASSERTION);
    await auth.login({ email: 'ada@example.org', password: 'x' }).catch(() => undefined);
    const done = await passkeys.completeLogin();
    expect(done.user.id).toBe('u1');
    expect(webauthn.startAuthentication).toHaveBeenCalledWith({ optionsJSON: REQUEST });
    expect(JSON.parse(server.callsTo('/api/auth/login/mfa')[0]!.body!)).toEqual({
      mfa_token: 'm1',
      method: 'passkey',
      credential: ASSERTION,
    });
  });

  it('refuses a passkey second step when none is pending', async () => {
    const { passkeys } = setUp();
    await expect(passkeys.completeLogin()).rejects.toMatchObject({ code: 'mfa_token_invalid' });
    expect(webauthn.startAuthentication).not.toHaveBeenCalled();
  });

  it('cancels a pending ceremony and reports support', () => {
    const { passkeys } = setUp();
    passkeys.cancel();
    expect(webauthn.cancelCeremony).toHaveBeenCalled();
    expect(passkeysSupported()).toBe(false);
  });
});
