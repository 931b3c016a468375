"""Sessions and rotating refresh tokens with reuse detection (DESIGN §6).

``sessions = SessionService(store, SessionPolicy.from_settings(settings), audit=audit,
secret=secret)``; ``await sessions.create_session(user.id, ...)``
at login, ``await sessions.rotate_refresh_token(token)`` at refresh.
"""

from jotauth.sessions.errors import (
    InvalidRefreshToken,
    RefreshConflict,
    RefreshReused,
    SessionError,
    SessionExpired,
    SessionNotFound,
    SessionRevoked,
)
from jotauth.sessions.models import IssuedRefresh, RefreshDelivery, SessionInfo, SessionPolicy
from jotauth.sessions.service import SessionService
from jotauth.sessions.tokens import hash_refresh_token, new_refresh_token

__all__ = [
    "InvalidRefreshToken",
    "IssuedRefresh",
    "RefreshConflict",
    "RefreshDelivery",
    "RefreshReused",
    "SessionError",
    "SessionExpired",
    "SessionInfo",
    "SessionNotFound",
    "SessionPolicy",
    "SessionRevoked",
    "SessionService",
    "hash_refresh_token",
    "new_refresh_token",
]
