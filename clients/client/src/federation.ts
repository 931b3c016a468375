import { readCookie } from './cookies.js';
import { AuthError, authErrorFrom, readJsonObject } from './errors.js';

/** Options of the "Continue with …" helpers (DESIGN.md §14). */
export interface FederationOptions {
  /** Base URL of the auth server; default '' (the page's own origin). */
  readonly baseUrl?: string;
  /** Where the auth server sends the browser afterwards (an allowlisted URL). */
  readonly returnTo?: string;
  /** Navigates the page; default `window.location`. */
  readonly location?: { assign(url: string): void };
}

/** Options of {@link linkProvider}, which sends a credentialed POST. */
export interface LinkOptions extends FederationOptions {
  /** The fetch implementation; default the global fetch. */
  readonly fetch?: typeof fetch;
  /** Default 'XSRF-TOKEN'. */
  readonly xsrfCookieName?: string;
  /** Default 'X-XSRF-TOKEN'. */
  readonly xsrfHeaderName?: string;
  /** The cookies to read the XSRF token from; default `document.cookie`. */
  readonly cookies?: () => string;
}

/** `GET /login/federated/{provider}?return_to=…`: the URL that starts signing in with it. */
export function federatedLoginUrl(provider: string, options: FederationOptions = {}): string {
  const query = options.returnTo ? `?${new URLSearchParams({ return_to: options.returnTo })}` : '';
  return `${options.baseUrl ?? ''}/login/federated/${encodeURIComponent(provider)}${query}`;
}

/**
 * Send the browser to sign in with another identity provider ("Continue with NAME"). The
 * result is an ordinary jotauth session (cookies); the page is left, so nothing resolves.
 */
export function continueWith(provider: string, options: FederationOptions = {}): void {
  (options.location ?? window.location).assign(federatedLoginUrl(provider, options));
}

/**
 * Link another identity provider to the signed-in account (cookie delivery): a POST with the
 * XSRF header (a forged link would attach someone else's identity to this account), then the
 * browser goes to the provider. Rejects with an {@link AuthError} when the server refuses.
 */
export async function linkProvider(provider: string, options: LinkOptions = {}): Promise<void> {
  const fetchImpl = options.fetch ?? fetch;
  const query = new URLSearchParams({ link: '1' });
  if (options.returnTo) query.set('return_to', options.returnTo);
  const url = `${options.baseUrl ?? ''}/login/federated/${encodeURIComponent(provider)}?${query}`;
  const xsrf = readCookie(
    options.xsrfCookieName ?? 'XSRF-TOKEN',
    (options.cookies ?? (() => document.cookie))(),
  );
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      credentials: 'include',
      headers: xsrf ? { [options.xsrfHeaderName ?? 'X-XSRF-TOKEN']: xsrf } : {},
    });
  } catch {
    throw new AuthError('network_error', 0, 'The auth server could not be reached.');
  }
  if (!response.ok) throw await authErrorFrom(response);
  const body = await readJsonObject(response);
  const location = body?.['location'];
  if (typeof location !== 'string') {
    throw new AuthError('invalid_response', response.status, 'The answer has no location.');
  }
  (options.location ?? window.location).assign(location);
}
