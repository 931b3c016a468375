/** What a failed login looks like to the demo: an HTTP status, maybe a code and a wait. */
interface FailedRequest {
  readonly status?: number;
  readonly code?: string;
  readonly retryAfter?: number | null;
}

/** Turns a login failure into a sentence for the user. */
export function describeLoginError(error: unknown): string {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as FailedRequest;
  if (failure.status === 401) {
    return 'Wrong email or password.';
  }
  if (failure.status === 429) {
    const wait = failure.retryAfter;
    return typeof wait === 'number' && wait > 0
      ? `Too many attempts. Try again in ${Math.ceil(wait)} seconds.`
      : 'Too many attempts. Try again later.';
  }
  if (failure.status === 0 || failure.status === undefined) {
    return 'The server cannot be reached. Check your connection and try again.';
  }
  return 'Signing in failed. Please try again.';
}
