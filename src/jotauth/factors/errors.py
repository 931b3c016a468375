"""The errors of second factors and of the login step between the two factors."""

from __future__ import annotations

from jotauth.errors import ErrorCode, JotauthError


class SecondFactorError(JotauthError):
    """Root of the second-factor errors."""

    code = ErrorCode.SECOND_FACTOR_ERROR
    default_detail = "the second factor could not be checked"


class SecondFactorInvalid(SecondFactorError):
    """A wrong, replayed or malformed TOTP code, recovery code or passkey assertion.

    One answer for all of them: which it was would only help someone guessing. A second-factor
    method (the Protocol in :mod:`jotauth.accounts.second_factor_methods`) raises it, or a
    subclass of its own, on a bad proof.
    """

    code = ErrorCode.SECOND_FACTOR_INVALID
    default_detail = "The code is not valid. Check your authenticator and try again."


class ConfirmationCodeInvalid(SecondFactorError):
    """The first code of a TOTP set up while signed in does not match the new secret: 422,
    the session is fine (the app's clock, or a mistyped code)."""

    code = ErrorCode.CONFIRMATION_CODE_INVALID
    default_detail = "The code does not match. Check the time on your device and try again."


class MfaTokenInvalid(SecondFactorError):
    """An ``mfa_token`` that is unknown, used, expired, spent by wrong tries, or of another
    purpose or session: the login has to start again with the first factor."""

    code = ErrorCode.MFA_TOKEN_INVALID
    default_detail = "This sign-in step has expired. Start again with your password."


class SecondFactorThrottled(SecondFactorError):
    """Too many wrong second-factor proofs for one account: 429 with ``Retry-After``.

    Counted per user, across mfa_tokens, so a guesser who starts new logins (knowing the
    password) still cannot try more than a few codes per window (RFC 6238 §5.2, ASVS 6.3).
    """

    code = ErrorCode.SECOND_FACTOR_THROTTLED
    default_detail = "Too many attempts. Wait a moment before trying again."

    def __init__(self, retry_after: float, detail: str | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class SecondFactorUnavailable(SecondFactorError):
    """A ``method`` the user has not enrolled, or one this login cannot use."""

    code = ErrorCode.SECOND_FACTOR_UNAVAILABLE
    default_detail = "This way of confirming your sign-in is not set up for the account."


class SecondFactorExists(SecondFactorError):
    """TOTP set up again while a confirmed one exists: remove it first."""

    code = ErrorCode.SECOND_FACTOR_EXISTS
    default_detail = "An authenticator app is already set up. Remove it first."


class SecondFactorNotFound(SecondFactorError):
    """Removing, confirming or regenerating something the account does not have."""

    code = ErrorCode.SECOND_FACTOR_NOT_FOUND
    default_detail = "This second factor is not set up for the account."


class SecondFactorRequired(SecondFactorError):
    """Removing the last second factor of an account the MFA policy requires one for."""

    code = ErrorCode.SECOND_FACTOR_REQUIRED
    default_detail = "Your account needs a second factor: set up another one before removing this."
