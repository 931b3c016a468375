import { afterEach, describe, expect, it } from 'vitest';
import { createAuthClient, type AuthClient } from '../src/index.js';
import { createMfaApi, svgDataUrl } from '../src/mfa.js';
import { createFakeAuthServer, json, problem } from '../../test-support/fake-auth-server.js';

let client: AuthClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

const SETUP = { secret: 'JBSWY3DPEHPK3PXP', otpauth_uri: 'otpauth://totp/jotauth:ada?secret=JBSWY3DPEHPK3PXP', qr_svg: '<svg/>' };
const CODES = Array.from({ length: 10 }, (_, i) => `code-${i}`);

async function signedIn(delivery: 'cookie' | 'body' = 'body') {
  const server = createFakeAuthServer({ delivery });
  client = createAuthClient({ delivery, fetch: server.fetch, crossTab: false, locks: null });
  await client.login({ email: 'ada@example.org', password: 'a fine passphrase' });
  server.calls.length = 0;
  return { server, auth: client, mfa: createMfaApi(client) };
}

describe('createMfaApi', () => {
  it('sets up, confirms and removes TOTP with the session credentials', async () => {
    const { server, mfa } = await signedIn();
    server.state.overrides.set('POST /api/auth/mfa/totp/setup', () => json(SETUP));
    server.state.overrides.set('POST /api/auth/mfa/totp/confirm', () => json({ recovery_codes: CODES }));
    server.state.overrides.set('DELETE /api/auth/mfa/totp', () => ({ status: 204 }));
    expect(await mfa.setupTotp()).toEqual(SETUP);
    expect(await mfa.confirmTotp('123456')).toEqual(CODES);
    await mfa.removeTotp();
    const [setup, confirm, remove] = server.calls;
    expect(JSON.parse(setup!.body!)).toEqual({});
    expect(JSON.parse(confirm!.body!)).toEqual({ code: '123456' });
    expect(remove!.method).toBe('DELETE');
    for (const call of server.calls) expect(call.headers.get('authorization')).toMatch(/^Bearer /);
  });

  it('regenerates recovery codes and reads the status', async () => {
    const { server, mfa } = await signedIn();
    server.state.overrides.set('POST /api/auth/mfa/recovery-codes', () => json({ recovery_codes: CODES }));
    server.state.overrides.set('GET /api/auth/mfa', () =>
      json({ enabled: true, methods: ['totp', 'recovery_code'], recovery_codes_remaining: 9 }),
    );
    expect(await mfa.regenerateRecoveryCodes()).toEqual(CODES);
    expect(await mfa.status()).toEqual({ enabled: true, methods: ['totp', 'recovery_code'], recovery_codes_remaining: 9 });
  });

  it('passes insufficient_user_authentication (403) on, without a refresh', async () => {
    const { server, mfa } = await signedIn('cookie');
    server.state.overrides.set('POST /api/auth/mfa/totp/setup', () =>
      problem(403, 'insufficient_user_authentication', {
        'www-authenticate': 'Bearer error="insufficient_user_authentication", max_age="600"',
      }),
    );
    await expect(mfa.setupTotp()).rejects.toMatchObject({ code: 'insufficient_user_authentication', status: 403 });
    expect(server.callsTo('/api/auth/refresh')).toHaveLength(0);
  });

  it('sets up TOTP with the pending enrolment token when the policy demands a factor', async () => {
    const server = createFakeAuthServer({ delivery: 'body' });
    client = createAuthClient({ delivery: 'body', fetch: server.fetch, crossTab: false, locks: null });
    server.state.overrides.set('POST /api/auth/login', () =>
      json({ mfa_required: true, mfa_token: 'enrol-1', methods: [], enrollment_required: true }),
    );
    server.state.overrides.set('POST /api/auth/mfa/totp/setup', () => json(SETUP));
    await client.login({ email: 'ada@example.org', password: 'x' }).catch(() => undefined);
    await createMfaApi(client).setupTotp();
    expect(JSON.parse(server.callsTo('/api/auth/mfa/totp/setup')[0]!.body!)).toEqual({ mfa_token: 'enrol-1' });
  });

  it('refuses incomplete answers', async () => {
    const { server, mfa } = await signedIn();
    server.state.overrides.set('POST /api/auth/mfa/totp/setup', () => json({ secret: 'S' }));
    server.state.overrides.set('POST /api/auth/mfa/recovery-codes', () => json({ recovery_codes: [1, 2] }));
    await expect(mfa.setupTotp()).rejects.toMatchObject({ code: 'invalid_response' });
    await expect(mfa.regenerateRecoveryCodes()).rejects.toMatchObject({ code: 'invalid_response' });
  });
});

describe('svgDataUrl', () => {
  it('escapes the document into a data URL an <img> can show', () => {
    const url = svgDataUrl('<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>#"');
    expect(url.startsWith('data:image/svg+xml;charset=utf-8,')).toBe(true);
    expect(url).not.toMatch(/[<>"# ]/);
    expect(decodeURIComponent(url.split(',')[1]!)).toContain('<path d="M0 0"/>');
  });
});
