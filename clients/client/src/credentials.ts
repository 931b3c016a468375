import { readCookie } from './cookies.js';
import type { TokenStorage } from './types.js';

/** Safe methods (RFC 9110 §9.2.1) change nothing, so they need no CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * The credential headers for a request, before any URL check (the caller decides whether the
 * URL may have them). Body delivery: `Authorization: Bearer` (RFC 6750 §2.1). Cookie delivery:
 * the browser sends the cookies; the double-submit CSRF token is echoed from the readable
 * `XSRF-TOKEN` cookie on unsafe methods only (OWASP CSRF cheat sheet).
 */
export function createCredentialHeaders(options: {
  readonly storage: TokenStorage | null;
  readonly xsrfCookieName: string;
  readonly xsrfHeaderName: string;
}): (method: string) => Record<string, string> {
  const { storage, xsrfCookieName, xsrfHeaderName } = options;
  return (method) => {
    if (storage) {
      const token = storage.load();
      return token ? { Authorization: `Bearer ${token.accessToken}` } : {};
    }
    if (SAFE_METHODS.has(method.toUpperCase())) return {};
    const xsrf = readCookie(xsrfCookieName, typeof document === 'undefined' ? '' : document.cookie);
    return xsrf ? { [xsrfHeaderName]: xsrf } : {};
  };
}
