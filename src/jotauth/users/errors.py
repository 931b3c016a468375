"""Errors of the users layer, each with a stable ``code`` the HTTP layer maps in one place."""

from __future__ import annotations


class UserError(Exception):
    """Base of every error raised by :mod:`jotauth.users`."""

    code: str = "user_error"
    default_detail: str = "user error"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class UserExists(UserError):
    code = "user_exists"
    default_detail = "a user with this email address already exists"


class UserNotFound(UserError):
    code = "user_not_found"
    default_detail = "no such user"


class InvalidEmail(UserError, ValueError):
    code = "invalid_email"
    default_detail = "the email address is not valid"


class WeakPassword(UserError, ValueError):
    """The new password does not meet the policy (signup, change, admin add)."""

    code = "weak_password"
    default_detail = "the password does not meet the password policy"


class PasswordTooLong(UserError, ValueError):
    """Refused before hashing: a huge password must cost nothing (CWE-400)."""

    code = "password_too_long"
    default_detail = "the password is too long"


class WrongPassword(UserError):
    """The current password given to a password change is not the user's password."""

    code = "invalid_credentials"
    default_detail = "the current password is not correct"


class InvalidProfile(UserError, ValueError):
    """A name, role or scope value that cannot be stored or put in a token."""

    code = "invalid_profile"
    default_detail = "invalid name, role or scope"


class LoginThrottled(UserError):
    """Too many login attempts for this account or client address; retry later."""

    code = "too_many_attempts"
    default_detail = "too many login attempts; try again later"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class HashQueueFull(UserError):
    """Every password-hash worker is busy and the queue behind them is full: answer 503.

    Shedding at once beats queueing without bound (issue 10, item 5: 300 queued logins reached
    a p99 of 9.5 s); the client retries after ``Retry-After``.
    """

    code = "hash_queue_full"
    default_detail = "the server is busy checking passwords; try again shortly"
