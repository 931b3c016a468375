import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, createAccountApi, createAuthClient, type AuthClient } from '../src/index.js';
import { createFakeAuthServer, json, problem } from '../../test-support/fake-auth-server.js';

let client: AuthClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

function setUp(delivery: 'cookie' | 'body' = 'body', loggedIn = false) {
  const server = createFakeAuthServer({ delivery, loggedIn });
  client = createAuthClient({ delivery, fetch: server.fetch, crossTab: false, locks: null });
  return { server, auth: client, accounts: createAccountApi(client) };
}

describe('signUp', () => {
  it('signs in when the server answers with a session', async () => {
    const { server, auth } = setUp();
    server.state.overrides.set('POST /api/auth/signup', () => server.issue());
    const user = await auth.signUp({ email: 'new@example.org', password: 'a long passphrase', name: 'Nova' });
    expect(user?.email).toBe('ada@example.org');
    expect(JSON.parse(server.callsTo('/api/auth/signup')[0]!.body!)).toEqual({
      email: 'new@example.org',
      password: 'a long passphrase',
      name: 'Nova',
      delivery: 'body',
    });
    expect(auth.user).not.toBeNull();
  });

  it('resolves null on 202 (check your mail) and stays signed out', async () => {
    const { server, auth } = setUp();
    server.state.overrides.set('POST /api/auth/signup', () => ({ status: 202 }));
    expect(await auth.signUp({ email: 'new@example.org', password: 'a long passphrase' })).toBeNull();
    expect(server.callsTo('/api/auth/me')).toHaveLength(0);
  });

  it('rejects with the server code of a refused password', async () => {
    const { server, auth } = setUp();
    server.state.overrides.set('POST /api/auth/signup', () => problem(422, 'weak_password'));
    await expect(auth.signUp({ email: 'n@example.org', password: 'password' })).rejects.toMatchObject({
      code: 'weak_password',
      status: 422,
    });
  });
});

describe('createAccountApi', () => {
  it('posts forgot, reset and verify as JSON next to the signup endpoint', async () => {
    const { server, accounts } = setUp();
    for (const path of ['/api/auth/password/forgot', '/api/auth/password/reset', '/api/auth/email/verify']) {
      server.state.overrides.set(`POST ${path}`, () => ({ status: path.endsWith('forgot') ? 202 : 204 }));
    }
    await accounts.forgotPassword('ada@example.org');
    await accounts.resetPassword('tok', 'a brand new passphrase');
    await accounts.verifyEmail('tok2');
    expect(JSON.parse(server.callsTo('/api/auth/password/forgot')[0]!.body!)).toEqual({ email: 'ada@example.org' });
    expect(JSON.parse(server.callsTo('/api/auth/password/reset')[0]!.body!)).toEqual({
      token: 'tok',
      password: 'a brand new passphrase',
    });
    expect(server.callsTo('/api/auth/email/verify')[0]!.headers.get('content-type')).toBe('application/json');
  });

  it('a used link rejects with account_link_invalid', async () => {
    const { server, accounts } = setUp();
    server.state.overrides.set('POST /api/auth/password/reset', () => problem(400, 'account_link_invalid'));
    const failure = await accounts.resetPassword('used', 'a brand new passphrase').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AuthError);
    expect((failure as AuthError).code).toBe('account_link_invalid');
  });

  it('after a reset the client learns that its session ended', async () => {
    const { server, auth, accounts } = setUp('body');
    await auth.login({ email: 'ada@example.org', password: 'right' });
    server.state.overrides.set('POST /api/auth/password/reset', () => {
      server.state.sessionValid = false;
      server.state.currentToken = null;
      return { status: 204 };
    });
    await accounts.resetPassword('tok', 'a brand new passphrase');
    expect(auth.user).toBeNull();
  });

  it('sends the signed-in verification and address change with the credentials', async () => {
    const { server, auth, accounts } = setUp('body');
    await auth.login({ email: 'ada@example.org', password: 'right' });
    server.state.overrides.set('POST /api/auth/email/verify/send', () => ({ status: 202 }));
    server.state.overrides.set('POST /api/auth/email/change', () => ({ status: 202 }));
    await accounts.sendVerification();
    await accounts.changeEmail('ada@new.example', 'right');
    const [send] = server.callsTo('/api/auth/email/verify/send');
    expect(send!.headers.get('authorization')).toMatch(/^Bearer /);
    expect(send!.body).toBeNull();
    expect(JSON.parse(server.callsTo('/api/auth/email/change')[0]!.body!)).toEqual({
      email: 'ada@new.example',
      password: 'right',
    });
  });

  it('asks for a verification mail by address when not signed in', async () => {
    const { server, accounts } = setUp();
    server.state.overrides.set('POST /api/auth/email/verify/send', () => json({}, 202));
    await accounts.sendVerification('ada@example.org');
    expect(JSON.parse(server.callsTo('/api/auth/email/verify/send')[0]!.body!)).toEqual({ email: 'ada@example.org' });
  });
});
