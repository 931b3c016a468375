/** What a failed factor or passkey call looks like to the demo: a code and maybe a wait. */
interface FailedCall {
  readonly code?: string;
  readonly serverCode?: string | null;
  readonly status?: number;
  readonly retryAfter?: number | null;
  readonly message?: string;
}

/** A sentence for the user about a refused code, passkey or factor change. */
export function describeFactorError(error: unknown): string {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as FailedCall;
  switch (failure.code) {
    case 'second_factor_invalid':
    case 'confirmation_code_invalid':
      return 'That code is not right (or was used already). Try the current one.';
    case 'mfa_token_invalid':
      return 'This sign-in took too long or had too many tries. Sign in again.';
    case 'second_factor_throttled':
    case 'too_many_attempts':
    case 'throttled':
      return typeof failure.retryAfter === 'number' && failure.retryAfter > 0
        ? `Too many tries. Wait ${Math.ceil(failure.retryAfter)} seconds.`
        : 'Too many tries. Wait a little and try again.';
    case 'invalid_credentials':
    case 'wrong_password':
      return 'Wrong password.';
    case 'second_factor_exists':
      return 'An authenticator app is set up already: remove it first to set up another.';
    case 'second_factor_not_found':
      return 'There is nothing to change any more: reload the page.';
    case 'insufficient_user_authentication':
      return 'Confirm it is you first.';
    case 'passkey_cancelled':
      // Browsers report a closed prompt and a device without the passkey alike (NotAllowedError).
      return 'The passkey prompt was closed, or this device has no passkey for this account. Try again, or use another way.';
    case 'passkey_failed':
      return 'This browser could not use a passkey here.';
    case 'network_error':
      return 'The server cannot be reached. Check your connection and try again.';
    default:
      return failure.status === 401 && failure.serverCode?.startsWith('passkey')
        ? 'This passkey was not accepted.'
        : 'That did not work. Please try again.';
  }
}

/** Whether the server asks for a fresh sign-in first (RFC 9470 step-up, 403). */
export function needsStepUp(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as FailedCall).code === 'insufficient_user_authentication';
}
