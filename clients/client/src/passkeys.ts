/**
 * @jotauth/client/passkeys — passkeys (WebAuthn) over an {@link AuthClient} (DESIGN §13):
 * register, list, rename and remove the signed-in user's passkeys, sign in without a password
 * (with the browser's autofill, "conditional UI", when asked), and prove a passkey as the
 * second step of a login. The browser side is @simplewebauthn/browser; a separate entry point,
 * so an app without passkeys ships none of it.
 */
import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  startRegistration,
  WebAuthnAbortService,
  WebAuthnError,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';

import { apiRoot, callApi } from './api-call.js';
import { AuthError } from './errors.js';
import type { CompletedLogin } from './second-factor.js';
import type { AuthClient, AuthUser } from './types.js';

/** A registered passkey as `GET /api/auth/passkeys` lists it (never its key material). */
export interface Passkey {
  readonly id: string;
  readonly name: string;
  /** Epoch seconds. */
  readonly created_at: number;
  readonly last_used_at: number | null;
  /** Backup eligible: a synced ("multi-device") passkey rather than one bound to a device. */
  readonly synced: boolean;
  /** Synced right now. */
  readonly backed_up: boolean;
  readonly transports: readonly string[];
  readonly aaguid: string;
}

/** Options of {@link PasskeyApi.signIn}. */
export interface PasskeySignInOptions {
  /**
   * Conditional UI: wait for the user to pick a passkey from the browser's autofill of an
   * `<input autocomplete="username webauthn">` instead of opening a dialog now. Resolves
   * only when they do; {@link PasskeyApi.cancel} (or another WebAuthn call) ends the wait.
   */
  readonly autofill?: boolean;
}

/** The passkey calls; create with {@link createPasskeyApi}. */
export interface PasskeyApi {
  /** Create a passkey on this device for the signed-in user (recent authentication needed). */
  register(name?: string): Promise<Passkey>;
  /** The signed-in user's passkeys. */
  list(): Promise<Passkey[]>;
  /** Give a passkey another name. */
  rename(id: string, name: string): Promise<void>;
  /** Delete a passkey (recent authentication needed). */
  remove(id: string): Promise<void>;
  /** Sign in with a discoverable passkey and user verification: no email, no password. */
  signIn(options?: PasskeySignInOptions): Promise<AuthUser>;
  /** Finish the pending login's second step (`client.secondStep`, method 'passkey') with a passkey. */
  completeLogin(): Promise<CompletedLogin>;
  /** End a pending WebAuthn ceremony (the autofill wait of `signIn({ autofill: true })`). */
  cancel(): void;
}

/** Whether this browser can use passkeys at all. */
export const passkeysSupported = (): boolean => browserSupportsWebAuthn();

/** Whether this browser offers passkeys in the autofill of a username field. */
export const passkeyAutofillSupported = (): Promise<boolean> => browserSupportsWebAuthnAutofill();

/** The passkey calls at the auth server `client` talks to (`/api/auth/passkeys…`). */
export function createPasskeyApi(client: AuthClient): PasskeyApi {
  const base = `${apiRoot(client)}/passkeys`;

  const call = (method: string, path: string, body?: unknown): Promise<Record<string, unknown> | null> =>
    callApi(client, method, base + path, body);

  async function signIn(options: PasskeySignInOptions = {}): Promise<AuthUser> {
    const { optionsJSON, rest } = splitOptions(await call('POST', '/login/options'));
    const credential = await ceremony(() =>
      startAuthentication({
        optionsJSON: optionsJSON as unknown as PublicKeyCredentialRequestOptionsJSON,
        useBrowserAutofill: Boolean(options.autofill),
      }),
    );
    return client.loginWith(`${base}/login`, { ...rest, credential });
  }

  return {
    async register(name) {
      const { optionsJSON, rest } = splitOptions(await call('POST', '/register/options'));
      const credential = await ceremony(() =>
        startRegistration({ optionsJSON: optionsJSON as unknown as PublicKeyCredentialCreationOptionsJSON }),
      );
      const created = await call('POST', '/register', { ...rest, credential, ...(name ? { name } : {}) });
      return (created?.['passkey'] ?? created) as Passkey;
    },
    async list() {
      const body = await call('GET', '');
      const listed = body?.['passkeys'];
      return Array.isArray(listed) ? (listed as Passkey[]) : [];
    },
    async rename(id, name) {
      await call('PATCH', `/${encodeURIComponent(id)}`, { name });
    },
    async remove(id) {
      await call('DELETE', `/${encodeURIComponent(id)}`);
    },
    signIn,
    async completeLogin() {
      const challenge = client.secondStep;
      if (!challenge?.passkey || !challenge.methods.includes('passkey')) {
        throw new AuthError('mfa_token_invalid', 0, 'no second step with a passkey is pending');
      }
      const { optionsJSON } = splitOptions(challenge.passkey);
      const credential = await ceremony(() =>
        startAuthentication({ optionsJSON: optionsJSON as unknown as PublicKeyCredentialRequestOptionsJSON }),
      );
      return client.completeLogin({ method: 'passkey', credential });
    },
    cancel() {
      WebAuthnAbortService.cancelCeremony();
    },
  };
}

/**
 * WebAuthn options as the server sent them: bare, or under `publicKey` (the shape of
 * `navigator.credentials` arguments) beside fields to send back with the answer.
 */
function splitOptions(body: Readonly<Record<string, unknown>> | null): {
  optionsJSON: Record<string, unknown>;
  rest: Record<string, unknown>;
} {
  if (!body) throw new AuthError('invalid_response', 200, 'the server sent no WebAuthn options');
  const { publicKey, ...rest } = body;
  return typeof publicKey === 'object' && publicKey !== null
    ? { optionsJSON: publicKey as Record<string, unknown>, rest }
    : { optionsJSON: body, rest: {} };
}

/** Run a WebAuthn ceremony; the user's "no" (or a timeout) becomes `passkey_cancelled`. */
async function ceremony<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const failure = error as { name?: string; cause?: { name?: string } } | null;
    const names = [failure?.name, failure?.cause?.name];
    const aborted = error instanceof WebAuthnError && error.code === 'ERROR_CEREMONY_ABORTED';
    if (aborted || names.includes('NotAllowedError') || names.includes('AbortError')) {
      throw new AuthError('passkey_cancelled', 0, 'the passkey prompt was dismissed or cancelled');
    }
    throw new AuthError('passkey_failed', 0, error instanceof Error ? error.message : 'WebAuthn failed');
  }
}
