"""Errors of the users layer; codes from :class:`jotauth.errors.ErrorCode`, HTTP in
:mod:`jotauth.problems`."""

from __future__ import annotations

from jotauth.errors import ErrorCode, JotauthError


class UserError(JotauthError):
    """Base of every error raised by :mod:`jotauth.users`."""

    code = ErrorCode.USER_ERROR
    default_detail = "user error"


class UserExists(UserError):
    code = ErrorCode.USER_EXISTS
    default_detail = "a user with this email address already exists"


class UserNotFound(UserError):
    code = ErrorCode.USER_NOT_FOUND
    default_detail = "no such user"


class InvalidEmail(UserError, ValueError):
    code = ErrorCode.INVALID_EMAIL
    default_detail = "the email address is not valid"


class WeakPassword(UserError, ValueError):
    """The new password does not meet the policy (signup, change, admin add)."""

    code = ErrorCode.WEAK_PASSWORD
    default_detail = "the password does not meet the password policy"


class PasswordTooLong(UserError, ValueError):
    """Refused before hashing: a huge password must cost nothing (CWE-400)."""

    code = ErrorCode.PASSWORD_TOO_LONG
    default_detail = "the password is too long"


class WrongPassword(UserError):
    """The current password given to a password change is not the user's password.

    Not ``invalid_credentials`` (a failed login): the caller is signed in and only the form
    input was wrong, so it must not look like a login or token failure (403, no challenge).
    """

    code = ErrorCode.WRONG_PASSWORD
    default_detail = "the current password is not correct"


class InvalidProfile(UserError, ValueError):
    """A name, role or scope value that cannot be stored or put in a token."""

    code = ErrorCode.INVALID_PROFILE
    default_detail = "invalid name, role or scope"


class UnsupportedPasswordHash(UserError, ValueError):
    """An imported password hash of a scheme jotauth cannot verify."""

    code = ErrorCode.UNSUPPORTED_PASSWORD_HASH
    default_detail = "the password hash scheme is not supported"


class InvalidPasswordHash(UserError, ValueError):
    """An imported password hash that is malformed or whose cost is out of bounds."""

    code = ErrorCode.INVALID_PASSWORD_HASH
    default_detail = "the password hash is malformed or too costly to verify"


class InvalidImportRow(UserError, ValueError):
    """A line of a user-import file that is not a usable row (JSON, fields, duplicates)."""

    code = ErrorCode.INVALID_IMPORT_ROW
    default_detail = "the import row is not valid"


class LoginThrottled(UserError):
    """Too many login attempts for this account or client address; retry later."""

    code = ErrorCode.TOO_MANY_ATTEMPTS
    default_detail = "too many login attempts; try again later"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class HashQueueFull(UserError):
    """Every password-hash worker is busy and the queue behind them is full: answer 503.

    Shedding at once beats queueing without bound (issue 10, item 5: 300 queued logins reached
    a p99 of 9.5 s); the client retries after ``Retry-After``.
    """

    code = ErrorCode.HASH_QUEUE_FULL
    default_detail = "the server is busy checking passwords; try again shortly"


class PasswordAlreadySet(UserError):
    """Setting a first password on an account that has one (change it instead)."""

    code = ErrorCode.PASSWORD_ALREADY_SET
    default_detail = "This account already has a password: change it with the current one."
