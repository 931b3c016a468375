import { callApi } from './api-call.js';
import type { AuthClient } from './types.js';

/**
 * The account calls of DESIGN §12 over an {@link AuthClient}: password reset, address
 * verification and change. A separate, tree-shakeable factory: an app that does not use them
 * ships none of this code.
 */
export interface AccountApi {
  /** Ask for a reset link (resolves alike whether or not the address has an account). */
  forgotPassword(email: string): Promise<void>;
  /** Set a new password with a mailed link's token; every session of the user ends. */
  resetPassword(token: string, password: string): Promise<void>;
  /** Verify the address with a mailed link's token. */
  verifyEmail(token: string): Promise<void>;
  /** Mail a new verification link: the signed-in user's, or (not signed in) to `email`. */
  sendVerification(email?: string): Promise<void>;
  /** Change the signed-in user's address: verified at the new one, told at the old one. */
  changeEmail(email: string, password: string): Promise<void>;
}

/** The account calls, at the auth server `client` talks to (next to its signup endpoint). */
export function createAccountApi(client: AuthClient): AccountApi {
  const base = client.endpoints.signup.replace(/\/signup$/, '');

  async function post(path: string, body?: Record<string, unknown>): Promise<void> {
    await callApi(client, 'POST', base + path, body);
  }

  return {
    forgotPassword: (email) => post('/password/forgot', { email }),
    async resetPassword(token, password) {
      await post('/password/reset', { token, password });
      // The server ended every session of the user: whoever is signed in here learns it now.
      await client.getUser({ force: true }).catch(() => null);
    },
    async verifyEmail(token) {
      await post('/email/verify', { token });
      if (client.user) await client.getUser({ force: true }).catch(() => null);
    },
    sendVerification: (email) => post('/email/verify/send', email ? { email } : undefined),
    changeEmail: (email, password) => post('/email/change', { email, password }),
  };
}
