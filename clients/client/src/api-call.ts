import { AuthError, authErrorFrom, readJsonObject } from './errors.js';
import type { AuthClient } from './types.js';

/**
 * One JSON call to the auth server with the client's credentials (and its refresh on 401):
 * the answer's JSON object (null for none), or an {@link AuthError} for a failure. The
 * account, factor and passkey calls share it.
 */
export async function callApi(
  client: AuthClient,
  method: string,
  url: string,
  body?: unknown,
): Promise<Record<string, unknown> | null> {
  let response: Response;
  try {
    response = await client.fetch(url, {
      method,
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'include',
    });
  } catch {
    throw new AuthError('network_error', 0, `could not reach ${url}`);
  }
  if (!response.ok) throw await authErrorFrom(response);
  return readJsonObject(response);
}

/** The auth server's API root (`…/api/auth`), from the client's login endpoint. */
export function apiRoot(client: AuthClient): string {
  return client.endpoints.login.replace(/\/login$/, '');
}
