/** What a failed login looks like to the demo: an HTTP status, maybe a code and a wait. */
interface FailedRequest {
  readonly status?: number;
  readonly code?: string | null;
  readonly retryAfter?: number | null;
}

/** Turns a login failure into a sentence for the user. */
export function describeLoginError(error: unknown): string {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as FailedRequest;
  if (failure.status === 401) {
    return 'Wrong email or password.';
  }
  if (failure.code === 'email_not_verified') {
    return 'Confirm your address first: follow the link in the mail we sent you.';
  }
  if (failure.status === 429) {
    const wait = retryAfterOf(error);
    return wait > 0 ? describeThrottle(wait) : 'Too many attempts. Try again later.';
  }
  if (failure.status === 0 || failure.status === undefined) {
    return 'The server cannot be reached. Check your connection and try again.';
  }
  return 'Signing in failed. Please try again.';
}

/** Seconds to wait before the next attempt (0 when the failure names none). */
export function retryAfterOf(error: unknown): number {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as FailedRequest;
  const wait = failure.status === 429 ? failure.retryAfter : null;
  return typeof wait === 'number' && Number.isFinite(wait) && wait > 0 ? Math.ceil(wait) : 0;
}

/** "Too many attempts. Try again in 5 minutes." — minutes from a minute up, else seconds. */
export function describeThrottle(seconds: number): string {
  const wait = Math.ceil(seconds);
  if (wait >= 60) {
    const minutes = Math.ceil(wait / 60);
    return `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
  }
  return `Too many attempts. Try again in ${wait} second${wait === 1 ? '' : 's'}.`;
}
