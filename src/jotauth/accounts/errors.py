"""Errors the account use cases add to those of the users and sessions layers."""

from __future__ import annotations

from jotauth.errors import ErrorCode
from jotauth.users import UserError


class UserInactive(UserError):
    """The user of a valid access token was deleted or disabled since it was issued."""

    code = ErrorCode.USER_INACTIVE
    default_detail = "The user of this token no longer exists or is disabled."


class InvalidCredentials(UserError):
    """Login with an unknown address, a wrong password or a disabled account: one answer
    for all three, so the response never tells which (no user enumeration). Not a token
    error: a 401 with a bare challenge, never ``invalid_token``."""

    code = ErrorCode.INVALID_CREDENTIALS
    default_detail = "The email or password is incorrect."


class NotFirstParty(UserError):
    """An access token of an OAuth client's session at the auth server's own account
    endpoints: a third-party app may act within its granted scope at resource servers, never
    manage the account (its sessions, its password)."""

    code = ErrorCode.NOT_FIRST_PARTY
    default_detail = (
        "This access token was issued to an OAuth client; sign in to manage the account."
    )


class EmailNotVerified(UserError):
    """``require_verified_email``: the password is right, but the address has not been
    verified yet (403, after the password check, so it tells nothing to a guesser)."""

    code = ErrorCode.EMAIL_NOT_VERIFIED
    default_detail = "Confirm your email address first: follow the link in the mail we sent you."


class LastSignInMethod(UserError):
    """Removing the account's last way to sign in (its only provider identity or passkey, on
    an account without a password): refused, or nobody could sign in to it any more."""

    code = ErrorCode.LAST_SIGN_IN_METHOD
    default_detail = (
        "This is the account's only way to sign in: set a password, link a provider or add "
        "a passkey before removing it."
    )
