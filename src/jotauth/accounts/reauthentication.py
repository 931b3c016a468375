"""Re-authentication for step-up (RFC 9470): prove who you are again, in the same session."""

from __future__ import annotations

from collections.abc import Sequence

from jotauth.accounts.errors import UserInactive
from jotauth.accounts.results import ClientInfo, Reauthenticated
from jotauth.accounts.second_factor_gate import MfaRequired, SecondFactorGate
from jotauth.accounts.tokens import AccessTokenIssuer
from jotauth.errors import InsufficientUserAuthentication
from jotauth.factors.challenges import AccessDelivery
from jotauth.sessions import SessionInfo, SessionService
from jotauth.users import User, UserService, WrongPassword


class Reauthentication:
    """``POST /api/auth/reauthenticate``: the password again, then the second factor if the
    user has one; the session's ``auth_time`` moves to now and a new access token says so."""

    def __init__(
        self,
        *,
        users: UserService,
        sessions: SessionService,
        tokens: AccessTokenIssuer,
        gate: SecondFactorGate | None,
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._tokens = tokens
        self._gate = gate

    async def start(
        self,
        *,
        session: SessionInfo,
        password: str | None,
        client: ClientInfo,
        delivery: AccessDelivery,
    ) -> Reauthenticated | MfaRequired:
        """Check the password (throttled like login: ``WrongPassword``, ``LoginThrottled``);
        a user with a second factor gets an :class:`MfaRequired` bound to this session,
        finished at ``/api/auth/login/mfa``. An account without a password proves itself
        with its second factor alone; one with neither signs in again (403
        ``insufficient_user_authentication``)."""
        user = await self._users.get_user(session.user_id)
        if user is None or user.disabled:
            raise UserInactive()
        first: tuple[str, ...] = ()
        if await self._users.has_password(user.id):
            if not password:
                raise WrongPassword("Enter your password to continue.")
            await self._users.check_current_password(
                user, password, session_id=session.id, ip=client.ip or None
            )
            first = ("pwd",)
        if self._gate is not None:
            held = await self._gate.hold(
                user,
                purpose="reauth",
                first_amr=first,
                delivery=delivery,
                refresh_delivery=session.refresh_delivery,
                session_id=session.id,
            )
            if held is not None:
                return held
        if not first:
            raise InsufficientUserAuthentication(
                "This account signs in through another provider: sign in there again."
            )
        return await self.renew(user, session.id, amr=first, client=client)

    async def renew(
        self, user: User, session_id: str, *, amr: Sequence[str], client: ClientInfo
    ) -> Reauthenticated:
        """Record the proved re-authentication on the session and mint its access token."""
        session = await self._sessions.reauthenticate(
            session_id, user_id=user.id, amr=amr, ip=client.ip or None
        )
        access = self._tokens.issue_for_session(user, session)
        return Reauthenticated(user=user, session=session, access=access)
