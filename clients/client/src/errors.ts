/**
 * A failed call to the auth server. `code` is the server's stable problem code (RFC 9457
 * `code` member, e.g. `invalid_credentials`, `session_revoked`) or one of the client's own:
 * `network_error`, `invalid_response`, `throttled`, `unavailable`.
 */
export class AuthError extends Error {
  override readonly name = 'AuthError';

  constructor(
    readonly code: string,
    /** HTTP status, 0 when no response arrived. */
    readonly status: number,
    message: string,
    /** Seconds to wait before trying again (from `Retry-After`), when the server said so. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

const FALLBACK_CODES: Readonly<Record<number, string>> = {
  401: 'unauthorized',
  403: 'forbidden',
  429: 'throttled',
  503: 'unavailable',
};

/** Build an AuthError from an error response, reading problem+json when the server sent it. */
export async function authErrorFrom(response: Response): Promise<AuthError> {
  const problem = await readJsonObject(response);
  const code = stringField(problem, 'code') ?? FALLBACK_CODES[response.status] ?? 'http_error';
  const message =
    stringField(problem, 'detail') ?? stringField(problem, 'title') ?? `HTTP ${response.status}`;
  return new AuthError(code, response.status, message, retryAfterSeconds(response));
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
