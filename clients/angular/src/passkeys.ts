import { inject } from '@angular/core';
import { createPasskeyApi, type PasskeyApi } from '@jotauth/client/passkeys';

import { JOTAUTH_CLIENT } from './config.js';

/**
 * The passkey calls (`@jotauth/client/passkeys`) over the application's client: register,
 * list, rename, remove, sign in without a password (with autofill), and a passkey as the
 * second step of a login. Call it in an injection context (a field initializer):
 * `private readonly passkeys = injectPasskeys();`. A function rather than a member of
 * {@link AuthService}, so an app without passkeys ships no WebAuthn code.
 */
export function injectPasskeys(): PasskeyApi {
  return createPasskeyApi(inject(JOTAUTH_CLIENT));
}
