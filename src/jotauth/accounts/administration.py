"""Use cases of an operator (the CLI): disable users, end their sessions."""

from __future__ import annotations

from jotauth.sessions import SessionService
from jotauth.users import User, UserService


class Administration:
    """Account changes made by an operator rather than by the user."""

    def __init__(self, *, users: UserService, sessions: SessionService) -> None:
        self._users = users
        self._sessions = sessions

    async def disable_user(self, user_id: str) -> User:
        """Disable an account and end all its sessions (raises ``UserNotFound``).

        Disabling first, then ending the sessions: a refresh racing in between is refused
        by the refresh use case, which re-reads the user.
        """
        user = await self._users.disable_user(user_id)
        await self._sessions.revoke_user_sessions(user_id, reason="user_disabled")
        return user

    async def end_session(self, session_id: str) -> bool:
        """End one session by id; False when it was unknown or had already ended."""
        return await self._sessions.revoke_session(session_id, reason="admin")
