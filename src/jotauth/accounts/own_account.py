"""Use cases of a signed-in user on their own account: profile, sessions, password."""

from __future__ import annotations

from collections.abc import Callable

from jotauth import jose
from jotauth.accounts.errors import NotFirstParty, UserInactive
from jotauth.accounts.recent_auth import RecentAuthentication
from jotauth.accounts.results import ClientInfo, OwnSessions, Profile
from jotauth.sessions import SessionInfo, SessionRevoked, SessionService
from jotauth.users import UserService


class OwnAccount:
    """What the holder of a valid access token may see and change of their account."""

    def __init__(
        self,
        *,
        users: UserService,
        sessions: SessionService,
        clock: Callable[[], float],
        recent: RecentAuthentication | None = None,
    ) -> None:
        """``recent`` makes a password change need a recent sign-in (None: not checked)."""
        self._recent = recent
        self._users = users
        self._sessions = sessions
        self._clock = clock

    async def live_session(self, claims: jose.Claims) -> SessionInfo:
        """The still active session of an access token, else :class:`SessionRevoked`.

        Resource servers accept an access token until it expires (stateless by design,
        DESIGN §3). The auth server holds the store, so its own account endpoints also check
        the session (one primary-key read): after logout-all or a password change, a copied
        access token can no longer list sessions or change the password.
        """
        if not claims.sid:
            raise SessionRevoked("the access token is not bound to a session")
        session = await self._sessions.get_session(claims.sid)
        if session is None or session.user_id != claims.sub or not session.is_active(self._clock()):
            raise SessionRevoked()
        if session.refresh_delivery == "oauth":
            raise NotFirstParty()
        return session

    async def profile(self, claims: jose.Claims) -> Profile:
        """The account behind an access token; :class:`UserInactive` when gone or disabled."""
        user = await self._users.get_user(claims.sub)
        if user is None or user.disabled:
            raise UserInactive()
        return Profile(
            id=user.id,
            email=user.email,
            name=user.name,
            roles=tuple(sorted(claims.roles)),
            scope=tuple(sorted(claims.scope)),
            email_verified=user.email_verified,
        )

    async def sessions(self, *, user_id: str, current_session_id: str) -> OwnSessions:
        """The user's active sessions, most recently used first."""
        listed = await self._sessions.list_sessions(user_id)
        return OwnSessions(sessions=tuple(listed), current_session_id=current_session_id)

    async def change_password(
        self,
        *,
        user_id: str,
        current_password: str,
        new_password: str,
        keep_session_id: str,
        client: ClientInfo,
    ) -> int:
        """Change the password and end every other session of the user (they may have been
        opened by whoever knew the old one); returns how many sessions ended.

        Raises ``InsufficientUserAuthentication`` (the sign-in is not recent: the current
        password alone must not let a stolen session past a second factor), the users
        layer's ``WrongPassword``, ``LoginThrottled``, ``WeakPassword``, ``PasswordTooLong``
        and ``UserNotFound``.
        """
        if self._recent is not None:
            await self._recent.require(keep_session_id, user_id=user_id)
        await self._users.change_password(
            user_id,
            current_password,
            new_password,
            current_session_id=keep_session_id,
            ip=client.ip or None,
        )
        return await self._sessions.revoke_user_sessions(
            user_id,
            except_session_id=keep_session_id,
            reason="password_changed",
            ip=client.ip or None,
        )
