"""Errors the account use cases add to those of the users and sessions layers."""

from __future__ import annotations

from jotauth.sessions import SessionError
from jotauth.users import UserError


class UserInactive(SessionError):
    """The user of a valid access token was deleted or disabled since it was issued."""

    code = "user_inactive"
    default_detail = "the user of this token no longer exists or is disabled"


class InvalidCredentials(UserError):
    """Login with an unknown address, a wrong password or a disabled account: one answer
    for all three, so the response never tells which (no user enumeration)."""

    code = "invalid_credentials"
    default_detail = "The email or password is incorrect."
