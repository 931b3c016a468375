"""Use cases of an operator (the CLI): disable users, end their sessions, reset second factors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from jotauth.sessions import SessionService
from jotauth.store import AuditLog
from jotauth.users import User, UserNotFound, UserService

# Removes every factor of one kind from a user; whether there was any. The composition root
# maps each kind ("totp", "recovery_code", "passkey") to its removal.
FactorRemoval = Callable[[str], Awaitable[bool]]


class Administration:
    """Account changes made by an operator rather than by the user."""

    def __init__(
        self,
        *,
        users: UserService,
        sessions: SessionService,
        factor_removals: Mapping[str, FactorRemoval] | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._factor_removals = dict(factor_removals or {})
        self._audit = audit

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

    async def reset_second_factors(self, user_id: str) -> tuple[str, ...]:
        """Remove every second factor of a user who lost theirs (TOTP, recovery codes, and
        whatever else the composition root registered); returns the kinds that were there.
        Audited (``mfa_reset``) even when there was nothing: the operator acted. Sessions stay:
        a reset lets the user in again, it does not lock them out."""
        user = await self._users.get_user(user_id)
        if user is None:
            raise UserNotFound()
        removed = tuple(
            [kind for kind, remove in self._factor_removals.items() if await remove(user.id)]
        )
        if self._audit is not None:
            await self._audit.record(
                "mfa_reset", user_id=user.id, detail={"removed": list(removed), "by": "operator"}
            )
        return removed
