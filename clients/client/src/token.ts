/** Claims of a decoded (NOT verified) JWT. */
export interface TokenClaims {
  readonly exp?: unknown;
  readonly iat?: unknown;
  readonly sub?: unknown;
  readonly [claim: string]: unknown;
}

/** Header and claims of a decoded (NOT verified) JWT. */
export interface DecodedToken {
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: TokenClaims;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Decode a compact JWS **without verifying it**.
 *
 * The signature is NOT checked, so the result is only a hint for the UI ("session ends at
 * 10:42", "show the admin link"). Never base an authorization decision on it: only the
 * server, which verifies the signature, can. Returns null for anything that is not three
 * base64url parts whose first two are JSON objects.
 */
export function decodeToken(token: string): DecodedToken | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) return null;
  const header = decodeJsonPart(parts[0] ?? '');
  const claims = decodeJsonPart(parts[1] ?? '');
  return header && claims ? { header, claims } : null;
}

/**
 * Whether a token (or its decoded form) is expired, **without verifying it** — a hint for
 * deciding to refresh, never for trusting a token. A token that cannot be decoded or has no
 * numeric `exp` counts as expired. `leewaySeconds` counts it expired that much earlier, so a
 * request does not leave with a token that expires in flight.
 */
export function isExpired(
  token: string | DecodedToken | null,
  options: { readonly now?: number; readonly leewaySeconds?: number } = {},
): boolean {
  const exp = expiresAtMs(token);
  return exp === null || exp <= (options.now ?? Date.now()) + (options.leewaySeconds ?? 0) * 1000;
}

/** The token's `exp` in milliseconds since the epoch, or null. Does not verify the token. */
export function expiresAtMs(token: string | DecodedToken | null): number | null {
  const decoded = typeof token === 'string' ? decodeToken(token) : token;
  const exp = decoded?.claims.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
}

function decodeJsonPart(part: string): Record<string, unknown> | null {
  try {
    const padded = part.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((part.length + 3) % 4);
    const bytes = Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
