"""Errors of the sessions layer; codes from :class:`jotauth.errors.ErrorCode`, HTTP in
:mod:`jotauth.problems`.

Every one of them means "this refresh token no longer gets an access token" (401), except
:class:`RefreshConflict`, which asks the client to retry. Store outages are
:class:`jotauth.store.StoreUnavailable` (503), never one of these.
"""

from __future__ import annotations

from jotauth.errors import ErrorCode, JotauthError


class SessionError(JotauthError):
    """Base of every error raised by :mod:`jotauth.sessions`."""

    code = ErrorCode.SESSION_ERROR
    default_detail = "session error"


class InvalidRefreshToken(SessionError):
    """Unknown or malformed refresh token."""

    code = ErrorCode.INVALID_REFRESH_TOKEN
    default_detail = "the refresh token is not valid"


class SessionExpired(SessionError):
    """Idle for longer than ``refresh_idle_ttl`` or older than ``session_absolute_ttl``."""

    code = ErrorCode.SESSION_EXPIRED
    default_detail = "the session has expired; log in again"


class SessionRevoked(SessionError):
    """Logged out, revoked by the user or an admin, or ended by a password change."""

    code = ErrorCode.SESSION_REVOKED
    default_detail = "the session has ended; log in again"


class RefreshReused(SessionRevoked):
    """A rotated refresh token came back after the grace window: the session is now revoked."""

    code = ErrorCode.REFRESH_REUSED
    default_detail = "the refresh token was already used; the session has been ended"


class RefreshConflict(SessionError):
    """A concurrent refresh won and its token cannot be handed over here; retry once."""

    code = ErrorCode.REFRESH_CONFLICT
    default_detail = "a concurrent refresh is in progress; retry"


class SessionNotFound(SessionError):
    code = ErrorCode.SESSION_NOT_FOUND
    default_detail = "no such session"
