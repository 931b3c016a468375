"""Recent authentication: sensitive changes need a sign-in of the last few minutes (DESIGN §13).

A stolen session (a copied cookie, an unlocked laptop) must not be enough to change the
password or the address, or to remove a second factor: those ask for a sign-in at most
``recent_auth_max_age`` seconds old, measured on the session's ``auth_time`` in the store (not
on the token's claim, which a re-authentication cannot move for tokens already issued).
Older: 403 ``insufficient_user_authentication`` with ``max_age`` (RFC 9470), and the client
re-authenticates at ``POST /api/auth/reauthenticate``.
"""

from __future__ import annotations

from collections.abc import Callable

from jotauth.errors import InsufficientUserAuthentication
from jotauth.sessions import SessionInfo, SessionRevoked, SessionService


class RecentAuthentication:
    """Checks that a session's user authenticated recently enough."""

    def __init__(
        self, *, sessions: SessionService, max_age: int, clock: Callable[[], float]
    ) -> None:
        self._sessions = sessions
        self.max_age = max_age
        self._clock = clock

    def check(self, session: SessionInfo) -> None:
        """Raise :class:`InsufficientUserAuthentication` when ``session`` authenticated more
        than ``max_age`` seconds ago."""
        if self._clock() - session.authenticated_at > self.max_age:
            raise InsufficientUserAuthentication(max_age=self.max_age)

    async def require(self, session_id: str, *, user_id: str) -> SessionInfo:
        """The user's active session ``session_id``, checked with :meth:`check`."""
        session = await self._sessions.get_session(session_id)
        if session is None or session.user_id != user_id or not session.is_active(self._clock()):
            raise SessionRevoked()
        self.check(session)
        return session
