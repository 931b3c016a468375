"""Users and passwords: argon2id off the event loop, normalised emails, throttled logins.

``hasher = PasswordHasher(settings)``; ``users = UserService(store, hasher,
throttle=login_throttle_for(settings), audit=audit, min_password_length=8)``. Sessions are not
this layer's: the use cases that end them live in :mod:`jotauth.accounts`.
"""

from jotauth.users.account_tokens import (
    AccountToken,
    AccountTokens,
    InvalidAccountLink,
    TokenPurpose,
)
from jotauth.users.by_id import NO_PASSWORD
from jotauth.users.email import normalise_email
from jotauth.users.errors import (
    HashQueueFull,
    InvalidEmail,
    InvalidProfile,
    LoginThrottled,
    PasswordAlreadySet,
    PasswordTooLong,
    UserError,
    UserExists,
    UserNotFound,
    WeakPassword,
    WrongPassword,
)
from jotauth.users.models import User
from jotauth.users.passwords import (
    MAX_PASSWORD_CHARS,
    PasswordHasher,
    check_password_policy,
    common_passwords,
    prepare_password,
)
from jotauth.users.service import UserService

__all__ = [
    "MAX_PASSWORD_CHARS",
    "NO_PASSWORD",
    "AccountToken",
    "AccountTokens",
    "HashQueueFull",
    "InvalidAccountLink",
    "InvalidEmail",
    "InvalidProfile",
    "LoginThrottled",
    "PasswordAlreadySet",
    "PasswordHasher",
    "PasswordTooLong",
    "TokenPurpose",
    "User",
    "UserError",
    "UserExists",
    "UserNotFound",
    "UserService",
    "WeakPassword",
    "WrongPassword",
    "check_password_policy",
    "common_passwords",
    "normalise_email",
    "prepare_password",
]
