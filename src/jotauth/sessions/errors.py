"""Errors of the sessions layer, each with a stable ``code`` the HTTP layer maps in one place.

Every one of them means "this refresh token no longer gets an access token" (401), except
:class:`RefreshConflict`, which asks the client to retry. Store outages are
:class:`jotauth.store.StoreUnavailable` (503), never one of these.
"""

from __future__ import annotations


class SessionError(Exception):
    """Base of every error raised by :mod:`jotauth.sessions`."""

    code: str = "session_error"
    default_detail: str = "session error"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class InvalidRefreshToken(SessionError):
    """Unknown or malformed refresh token."""

    code = "invalid_refresh_token"
    default_detail = "the refresh token is not valid"


class SessionExpired(SessionError):
    """Idle for longer than ``refresh_idle_ttl`` or older than ``session_absolute_ttl``."""

    code = "session_expired"
    default_detail = "the session has expired; log in again"


class SessionRevoked(SessionError):
    """Logged out, revoked by the user or an admin, or ended by a password change."""

    code = "session_revoked"
    default_detail = "the session has ended; log in again"


class RefreshReused(SessionRevoked):
    """A rotated refresh token came back after the grace window: the session is now revoked."""

    code = "refresh_reused"
    default_detail = "the refresh token was already used; the session has been ended"


class RefreshConflict(SessionError):
    """A concurrent refresh won and its token cannot be handed over here; retry once."""

    code = "refresh_conflict"
    default_detail = "a concurrent refresh is in progress; retry"


class SessionNotFound(SessionError):
    code = "session_not_found"
    default_detail = "no such session"
