"""Use cases of a signed-in user on their own account: profile, sessions, password."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from jotauth import jose
from jotauth.accounts.errors import NotFirstParty, UserInactive
from jotauth.accounts.recent_auth import RecentAuthentication
from jotauth.accounts.results import AccountOverview, ClientInfo, OwnSessions, Profile
from jotauth.accounts.second_factor_methods import SecondFactorMethods
from jotauth.sessions import SessionInfo, SessionRevoked, SessionService
from jotauth.store import Store
from jotauth.users import User, UserService


class IdentitiesReader(Protocol):
    """The linked provider identities of a user, read inside ``/me``'s unit of work (the
    federation layer, which builds on this one, passes its reader in)."""

    def beside(self, reader: Any) -> Any:
        """``reader``'s row reader with ``(what reader reads, the identities)`` as its
        result; the identities None when the row does not carry them."""

    def of_user_in(self, conn: Any, user_id: str) -> tuple[Any, ...]:
        """The identities of ``user_id``, in a statement of their own."""


class OwnAccount:
    """What the holder of a valid access token may see and change of their account."""

    def __init__(
        self,
        *,
        users: UserService,
        sessions: SessionService,
        clock: Callable[[], float],
        store: Store,
        identities: IdentitiesReader | None = None,
        factors: SecondFactorMethods | None = None,
        recent: RecentAuthentication | None = None,
    ) -> None:
        """``store`` runs :meth:`overview` as one unit of work; ``identities`` and
        ``factors`` add the linked identities and the enrolled second factors to it (none
        without); ``recent`` makes a password change need a recent sign-in (None: not
        checked)."""
        self._factors = factors
        self._recent = recent
        self._users = users
        self._sessions = sessions
        self._clock = clock
        self._store = store
        self._identities = identities
        # /me's read of the account, in its session's statement: the users layer's, with the
        # enrolled second factors and the linked identities in the same row where they are.
        account_in: Any = factors.beside(users.account_in) if factors else users.account_in
        self._account_in: Any = identities.beside(account_in) if identities else account_in

    async def live_session(self, claims: jose.Claims) -> SessionInfo:
        """The still active session of an access token, else :class:`SessionRevoked`.

        Resource servers accept an access token until it expires (stateless by design,
        DESIGN §3). The auth server holds the store, so its own account endpoints also check
        the session (one primary-key read): after logout-all or a password change, a copied
        access token can no longer list sessions or change the password.
        """
        session = await self._sessions.get_session(_session_id(claims))
        return self._live(session, claims, self._clock())

    async def profile(self, claims: jose.Claims) -> Profile:
        """The account behind an access token; :class:`UserInactive` when gone or disabled."""
        return _profile(await self._users.get_user(claims.sub), claims)

    async def overview(self, claims: jose.Claims) -> AccountOverview:
        """``/me``: :meth:`live_session`, :meth:`profile`, whether the account has a password,
        its linked identities and second factors, read in one transaction (one thread hop
        on SQLite, one greenlet on PostgreSQL) and refused in the same order as those
        calls."""
        session_id, now = _session_id(claims), self._clock()
        return await self._store.read_unit(
            lambda conn: self._overview_in(conn, claims, session_id, now)
        )

    def _overview_in(
        self, conn: Any, claims: jose.Claims, session_id: str, now: float
    ) -> AccountOverview:
        session, owned = self._sessions.session_and_owner_in(
            conn, session_id, self._account_in, claims.sub
        )
        session = self._live(session, claims, now)
        identities: tuple[Any, ...] | None = ()
        if self._identities is not None and owned is not None:
            owned, identities = owned
        account, enrolled = self._account_and_factors(owned)
        profile = _profile(account[0] if account else None, claims)
        assert account is not None  # _profile refused a missing user
        if identities is None:
            assert self._identities is not None  # only its reader answers None
            identities = self._identities.of_user_in(conn, claims.sub)
        return AccountOverview(session, profile, account[1], identities, enrolled)

    def _account_and_factors(self, owned: Any) -> tuple[tuple[User, bool] | None, tuple[str, ...]]:
        """What ``self._account_in`` read: the account, and the names of its second factors."""
        if self._factors is None or owned is None:
            return owned, ()
        account, names = owned
        return account, tuple(method.name for method in self._factors.named(names))

    def _live(self, session: SessionInfo | None, claims: jose.Claims, now: float) -> SessionInfo:
        if session is None or session.user_id != claims.sub or not session.is_active(now):
            raise SessionRevoked()
        if session.refresh_delivery == "oauth":
            raise NotFirstParty()
        return session

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


def _session_id(claims: jose.Claims) -> str:
    if not claims.sid:
        raise SessionRevoked("the access token is not bound to a session")
    return claims.sid


def _profile(user: User | None, claims: jose.Claims) -> Profile:
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
