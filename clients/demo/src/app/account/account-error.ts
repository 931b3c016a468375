/** What a failed account call looks like to the demo: an HTTP status, a code, a message. */
interface FailedCall {
  readonly status?: number;
  readonly code?: string;
  readonly serverCode?: string | null;
  readonly message?: string;
  readonly retryAfter?: number | null;
}

/** A sentence for the user about a failed sign-up, reset or verification. */
export function describeAccountError(error: unknown): string {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as FailedCall;
  switch (failure.code) {
    case 'weak_password':
    case 'password_too_long':
    case 'invalid_email':
      // The server's own reason ("one of the most common passwords", "at least 12 …").
      return capitalise(failure.message ?? 'The password was refused.');
    case 'user_exists':
      return 'An account with this address exists already. Sign in, or reset the password.';
    case 'account_link_invalid':
      return 'This link is invalid or has expired. Ask for a new one.';
    case 'email_not_verified':
      return 'Confirm your address first: follow the link in the mail we sent you.';
    case 'too_many_attempts':
      return typeof failure.retryAfter === 'number' && failure.retryAfter > 0
        ? `Too many attempts. Try again in ${Math.ceil(failure.retryAfter)} seconds.`
        : 'Too many attempts. Try again later.';
    case 'feature_disabled':
      return 'This server does not send mail, so this is not available.';
    case 'network_error':
      return 'The server cannot be reached. Check your connection and try again.';
    default:
      return 'That did not work. Please try again.';
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.');
}
