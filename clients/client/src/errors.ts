import type { MfaChallenge } from './second-factor.js';

/**
 * The problem `code`s (RFC 9457 `code` member) of the auth server that the clients act on or
 * show, and the client's own codes for failures without a usable problem. A closed set, the
 * way panva/jose's `JOSEErrorCode` is: switch on it and the compiler checks the cases.
 */
export type AuthErrorCode =
  // Login.
  | 'invalid_credentials'
  | 'too_many_attempts'
  | 'user_inactive'
  // Refresh: the session is over, or there was none.
  | 'session_expired'
  | 'session_revoked'
  | 'refresh_reused'
  | 'invalid_refresh_token'
  | 'missing_refresh_token'
  // The access token on a request (`invalid_token` was also the old spelling of the two missing_*).
  | 'missing_token'
  | 'invalid_token'
  | 'malformed_authorization'
  // Accounts: sign-up, reset, verification (DESIGN §12).
  | 'weak_password'
  | 'password_too_long'
  | 'invalid_email'
  | 'user_exists'
  | 'wrong_password'
  | 'account_link_invalid'
  | 'email_not_verified'
  | 'feature_disabled'
  // Second factors and step-up (DESIGN §13).
  | 'second_factor_invalid'
  | 'confirmation_code_invalid'
  | 'mfa_token_invalid'
  | 'second_factor_throttled'
  | 'second_factor_exists'
  | 'second_factor_not_found'
  | 'second_factor_required'
  | 'insufficient_user_authentication'
  // Request hygiene and availability.
  | 'csrf_failed'
  | 'store_unavailable'
  | 'keys_unavailable'
  // The client's own: no response, an unusable response, or a status without a known code.
  | 'network_error'
  | 'invalid_response'
  | 'unauthenticated'
  | 'unauthorized'
  | 'forbidden'
  | 'throttled'
  | 'unavailable'
  | 'http_error'
  | 'logout_all_failed'
  /** Not a failure: the login needs a second step; the error's `mfa` says which. */
  | 'mfa_required'
  /** The user dismissed the passkey prompt, or it timed out or was cancelled. */
  | 'passkey_cancelled'
  /** The browser's WebAuthn call failed otherwise (no authenticator, wrong RP ID…). */
  | 'passkey_failed';

const SERVER_CODES: ReadonlySet<string> = new Set<AuthErrorCode>([
  'invalid_credentials',
  'too_many_attempts',
  'user_inactive',
  'session_expired',
  'session_revoked',
  'refresh_reused',
  'invalid_refresh_token',
  'missing_refresh_token',
  'missing_token',
  'invalid_token',
  'malformed_authorization',
  'weak_password',
  'password_too_long',
  'invalid_email',
  'user_exists',
  'wrong_password',
  'account_link_invalid',
  'email_not_verified',
  'feature_disabled',
  'second_factor_invalid',
  'confirmation_code_invalid',
  'mfa_token_invalid',
  'second_factor_throttled',
  'second_factor_exists',
  'second_factor_not_found',
  'second_factor_required',
  'insufficient_user_authentication',
  'csrf_failed',
  'store_unavailable',
  'keys_unavailable',
]);

/** Whether `code` is one of the server codes the client knows. */
export function isServerCode(code: string): code is AuthErrorCode {
  return SERVER_CODES.has(code);
}

/**
 * A failed call to the auth server: `code` from {@link AuthErrorCode}, the HTTP `status` (0
 * when no response arrived) and `retryAfter` (seconds, from `Retry-After`) when the server
 * said when to try again. A problem code the client does not know is kept in `serverCode`
 * while `code` falls back to one for the status.
 */
export class AuthError extends Error {
  override readonly name = 'AuthError';

  constructor(
    readonly code: AuthErrorCode,
    /** HTTP status, 0 when no response arrived. */
    readonly status: number,
    message: string,
    /** Seconds to wait before trying again (from `Retry-After`), when the server said so. */
    readonly retryAfter: number | null = null,
    /** The problem's `code` exactly as the server sent it, or null when it sent none. */
    readonly serverCode: string | null = code,
    /** Code `mfa_required`: the second step to finish with `completeLogin`, else null. */
    readonly mfa: MfaChallenge | null = null,
  ) {
    super(message);
  }
}

const FALLBACK_CODES: Readonly<Record<number, AuthErrorCode>> = {
  401: 'unauthorized',
  403: 'forbidden',
  429: 'throttled',
  503: 'unavailable',
};

/** Build an AuthError from an error response, reading problem+json when the server sent it. */
export async function authErrorFrom(response: Response): Promise<AuthError> {
  const problem = await readJsonObject(response);
  const serverCode = stringField(problem, 'code') ?? null;
  const code =
    serverCode !== null && isServerCode(serverCode)
      ? serverCode
      : (FALLBACK_CODES[response.status] ?? 'http_error');
  const message =
    stringField(problem, 'detail') ?? stringField(problem, 'title') ?? `HTTP ${response.status}`;
  return new AuthError(code, response.status, message, retryAfterSeconds(response), serverCode);
}

/** The JSON object in a response body, or null (empty body, not JSON, not an object). */
export async function readJsonObject(response: Response): Promise<Record<string, unknown> | null> {
  if (!(response.headers.get('content-type') ?? '').includes('json')) return null;
  try {
    const value: unknown = await response.json();
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function stringField(object: Record<string, unknown> | null, name: string): string | undefined {
  const value = object?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** `Retry-After` (RFC 9110 §10.2.3) as seconds: delay-seconds only; HTTP dates are ignored. */
function retryAfterSeconds(response: Response): number | null {
  const value = response.headers.get('retry-after');
  return value !== null && /^\d+$/.test(value.trim()) ? Number(value) : null;
}
