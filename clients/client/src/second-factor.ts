import type { AuthUser } from './types.js';

/**
 * The second step of a sign-in (DESIGN §13): `POST /api/auth/login` (or a re-authentication)
 * answered `mfa_required` instead of a session. Finish it with `completeLogin`.
 */
export interface MfaChallenge {
  /** Proves this login attempt to `/api/auth/login/mfa`; short-lived and single-use. */
  readonly mfaToken: string;
  /** What the user may prove: 'totp', 'recovery_code', 'passkey' (empty when enrolling). */
  readonly methods: readonly string[];
  /** When the token expires (ms since epoch), or null when the server did not say. */
  readonly expiresAt: number | null;
  /**
   * The policy requires a second factor the user does not have yet: set up TOTP with this
   * token (`createMfaApi(client).setupTotp()`), then `completeLogin` with its first code.
   */
  readonly enrollmentRequired: boolean;
  /** WebAuthn request options (JSON) when 'passkey' is a method, else null. */
  readonly passkey: Readonly<Record<string, unknown>> | null;
}

/** What `completeLogin` sends: a code (TOTP, recovery code) or a WebAuthn assertion (JSON). */
export type SecondFactorProof =
  | { readonly method: 'totp' | 'recovery_code'; readonly code: string }
  | { readonly method: 'passkey'; readonly credential: unknown };

/** A finished second step: the signed-in user, and the recovery codes when it enrolled TOTP. */
export interface CompletedLogin {
  readonly user: AuthUser;
  /** Shown once: only when this step confirmed a TOTP enrolment, else null. */
  readonly recoveryCodes: readonly string[] | null;
}

/** The `mfa_required` answer in a login body, or null when the body is a session. */
export function readMfaChallenge(body: Record<string, unknown> | null, now: number): MfaChallenge | null {
  if (body?.['mfa_required'] !== true || typeof body['mfa_token'] !== 'string') return null;
  const { methods, expires_in: expiresIn, passkey } = body;
  return {
    mfaToken: body['mfa_token'],
    methods: Array.isArray(methods) ? methods.filter((m): m is string => typeof m === 'string') : [],
    expiresAt: typeof expiresIn === 'number' && expiresIn > 0 ? now + expiresIn * 1000 : null,
    enrollmentRequired: body['enrollment_required'] === true,
    passkey: typeof passkey === 'object' && passkey !== null ? (passkey as Record<string, unknown>) : null,
  };
}

/** The `recovery_codes` of an answer, or null. */
export function readRecoveryCodes(body: Record<string, unknown> | null): string[] | null {
  const codes = body?.['recovery_codes'];
  return Array.isArray(codes) && codes.every((c) => typeof c === 'string') ? codes : null;
}
