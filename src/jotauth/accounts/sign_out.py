"""Use cases that end sessions at the user's request: logout, logout-all, end one session."""

from __future__ import annotations

from collections.abc import Callable

from jotauth.accounts.results import ClientInfo
from jotauth.sessions import SessionInfo, SessionNotFound, SessionService


class SignOut:
    """Ends a user's own sessions; every one is audited by the sessions layer."""

    def __init__(self, *, sessions: SessionService, clock: Callable[[], float]) -> None:
        self._sessions = sessions
        self._clock = clock

    async def session_of_refresh_token(self, refresh_token: str) -> SessionInfo | None:
        """The *active* session a refresh token belongs to, found without changing anything
        (so a logout refused for a failed CSRF check leaves the session as it was)."""
        session = await self._sessions.session_of_refresh_token(refresh_token)
        if session is None or not session.is_active(self._clock()):
            return None
        return session

    async def logout(self, *, session_id: str, user_id: str, client: ClientInfo) -> bool:
        """End the session a request belongs to; False when it had already ended."""
        return await self._sessions.revoke_session(
            session_id, reason="logout", user_id=user_id, ip=client.ip or None
        )

    async def logout_all(self, *, user_id: str, client: ClientInfo) -> int:
        """End every session of the user; returns how many ended."""
        return await self._sessions.revoke_user_sessions(
            user_id, reason="logout_all", ip=client.ip or None
        )

    async def end_own_session(self, *, user_id: str, session_id: str, client: ClientInfo) -> None:
        """End one of the user's own sessions by id.

        Raises :class:`SessionNotFound` for an unknown id and for anyone else's session
        alike, so ids cannot be probed. Ending an already ended own session is a no-op.
        """
        ended = await self._sessions.revoke_session(
            session_id, reason="user", user_id=user_id, ip=client.ip or None
        )
        if not ended:
            existing = await self._sessions.get_session(session_id)
            if existing is None or existing.user_id != user_id:
                raise SessionNotFound()
