import { expiresAtMs } from './token.js';
import type { StoredToken } from './types.js';

/** What a login or refresh response tells the client. */
export interface TokenGrant {
  /** The access token (body delivery), or null (cookie delivery: it is in an HttpOnly cookie). */
  readonly token: StoredToken | null;
  /** Access-token expiry in ms since epoch, or null when the response does not say. */
  readonly expiresAt: number | null;
}

/**
 * Read a login/refresh response body (RFC 6749 §5.1 names plus `expires_at`, DESIGN.md §5).
 * Expiry comes from `expires_at` (epoch seconds), else `expires_in`, else the token's own
 * `exp` (decoded, not verified: it is only a timer hint).
 */
export function readTokenGrant(body: Record<string, unknown> | null, now: number): TokenGrant {
  const accessToken = body?.['access_token'];
  const token = typeof accessToken === 'string' && accessToken !== '' ? accessToken : null;
  const expiresAt =
    secondsToMs(body?.['expires_at']) ??
    relativeMs(body?.['expires_in'], now) ??
    (token ? expiresAtMs(token) : null);
  return { token: token ? { accessToken: token, expiresAt } : null, expiresAt };
}

function secondsToMs(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value * 1000 : null;
}

function relativeMs(value: unknown, now: number): number | null {
  const ms = secondsToMs(value);
  return ms === null ? null : now + ms;
}
