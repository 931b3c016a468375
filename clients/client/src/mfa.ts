/**
 * @jotauth/client/mfa — second-factor management over an {@link AuthClient} (DESIGN §13):
 * the MFA status, TOTP set-up (secret, `otpauth://` URI, QR code), confirmation and removal,
 * recovery codes. A separate entry point, so an app without factor pages ships none of it.
 *
 * Everything but `status` needs a recent authentication: when the session's is too old the
 * call rejects with code `insufficient_user_authentication` (403); `client.reauthenticate()`
 * (and `completeLogin` when it asks for a second step), then call again.
 */
import { apiRoot, callApi } from './api-call.js';
import { AuthError } from './errors.js';
import { readRecoveryCodes } from './second-factor.js';
import type { AuthClient } from './types.js';

/** `POST /api/auth/mfa/totp/setup`: what the authenticator app needs. */
export interface TotpSetup {
  /** The shared secret, base32, for typing in by hand. */
  readonly secret: string;
  /** `otpauth://totp/…` (what the QR code holds). */
  readonly otpauth_uri: string;
  /** The QR code as an SVG document; show it with {@link svgDataUrl} in an `<img>`. */
  readonly qr_svg: string;
}

/** `GET /api/auth/mfa`: the signed-in user's second factors. */
export interface MfaStatus {
  /** Whether a login asks for a second factor. */
  readonly enabled: boolean;
  /** The enrolled methods ('totp', 'recovery_code', 'passkey'). */
  readonly methods: readonly string[];
  /** Unused recovery codes left. */
  readonly recovery_codes_remaining: number;
}

/** The factor calls; create with {@link createMfaApi}. */
export interface MfaApi {
  /** The signed-in user's factors. */
  status(): Promise<MfaStatus>;
  /**
   * Start a TOTP enrolment: signed in, or (the policy demands a factor at login) with the
   * pending `client.secondStep` token, whose `completeLogin({ method: 'totp', code })` confirms it.
   */
  setupTotp(): Promise<TotpSetup>;
  /** Confirm the enrolment with the app's first code; resolves with the recovery codes (once). */
  confirmTotp(code: string): Promise<readonly string[]>;
  /** Remove the TOTP factor. */
  removeTotp(): Promise<void>;
  /** New recovery codes (shown once); the old ones stop working. */
  regenerateRecoveryCodes(): Promise<readonly string[]>;
}

/**
 * An SVG document (the server's QR code) as a `data:` URL for an `<img src>`: an image loaded
 * that way runs no script and reaches no page, however the SVG was made.
 */
export function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** The factor calls at the auth server `client` talks to (`/api/auth/mfa…`). */
export function createMfaApi(client: AuthClient): MfaApi {
  const base = `${apiRoot(client)}/mfa`;

  const call = (method: string, path: string, body?: unknown): Promise<Record<string, unknown> | null> =>
    callApi(client, method, base + path, body);

  async function codes(method: string, path: string, body?: unknown): Promise<readonly string[]> {
    const answer = await call(method, path, body);
    const recovery = readRecoveryCodes(answer);
    if (!recovery) throw new AuthError('invalid_response', 200, 'the answer has no recovery_codes');
    return recovery;
  }

  return {
    async status() {
      const body = await call('GET', '');
      if (!body) throw new AuthError('invalid_response', 200, 'the MFA status is not JSON');
      return body as unknown as MfaStatus;
    },
    async setupTotp() {
      const enrolling = client.secondStep?.enrollmentRequired ? { mfa_token: client.secondStep.mfaToken } : {};
      const body = await call('POST', '/totp/setup', enrolling);
      const { secret, otpauth_uri: uri, qr_svg: svg } = body ?? {};
      if (typeof secret !== 'string' || typeof uri !== 'string' || typeof svg !== 'string') {
        throw new AuthError('invalid_response', 200, 'the TOTP set-up answer is incomplete');
      }
      return { secret, otpauth_uri: uri, qr_svg: svg };
    },
    confirmTotp: (code) => codes('POST', '/totp/confirm', { code }),
    async removeTotp() {
      await call('DELETE', '/totp');
    },
    regenerateRecoveryCodes: () => codes('POST', '/recovery-codes'),
  };
}
