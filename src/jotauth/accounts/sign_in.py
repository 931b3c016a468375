"""Use cases that start or continue a session: login, sign-up, refresh.

A login whose user has a second factor (or must enrol one) stops after the password with an
:class:`MfaRequired`; :class:`jotauth.accounts.SecondStep` finishes it through
:meth:`SignIn.sign_in_verified`.
"""

from __future__ import annotations

from jotauth.accounts.counters import SignInCounters
from jotauth.accounts.errors import EmailNotVerified, InvalidCredentials, UserInactive
from jotauth.accounts.results import ClientInfo, SignedIn
from jotauth.accounts.second_factor_gate import MfaRequired, SecondFactorGate
from jotauth.accounts.tokens import AccessTokenIssuer
from jotauth.factors.challenges import AccessDelivery, ChallengePurpose
from jotauth.sessions import (
    IssuedRefresh,
    RefreshDelivery,
    SessionError,
    SessionRevoked,
    SessionService,
)
from jotauth.users import LoginThrottled, User, UserService


class SignIn:
    """Checks who someone is and hands out a session with its first or next tokens."""

    def __init__(
        self,
        *,
        users: UserService,
        sessions: SessionService,
        tokens: AccessTokenIssuer,
        counters: SignInCounters | None = None,
        require_verified_email: bool = False,
        gate: SecondFactorGate | None = None,
    ) -> None:
        """``gate`` decides whether a login needs a second factor (None: never)."""
        self._require_verified_email = require_verified_email
        self._gate = gate
        self._users = users
        self._sessions = sessions
        self._tokens = tokens
        self._counters = counters or SignInCounters()

    async def login(
        self,
        *,
        email: str,
        password: str,
        client: ClientInfo,
        refresh_delivery: RefreshDelivery = "cookie",
        delivery: AccessDelivery = "cookie",
        purpose: ChallengePurpose = "login",
    ) -> SignedIn | MfaRequired:
        """Check the password and start a session, or answer :class:`MfaRequired` when the
        user has a second factor (or the MFA policy makes them enrol one): no session then.

        Raises :class:`InvalidCredentials` alike for unknown user, wrong password and
        disabled account, :class:`EmailNotVerified` (``require_verified_email``),
        :class:`LoginThrottled`, and the store's ``StoreUnavailable``.
        ``refresh_delivery`` records how the refresh token travels (cookie or body),
        ``delivery`` how the access token will (both kept for the second step);
        ``purpose`` is ``"authorize"`` for a hosted sign-in on its way to an OAuth client.
        """
        try:
            user = await self._users.authenticate(email, password, ip=client.ip or None)
        except LoginThrottled:
            self._counters.login("throttled")
            raise
        except Exception:
            self._counters.login("error")
            raise
        if user is None:
            self._counters.login("invalid_credentials")
            raise InvalidCredentials()
        if self._require_verified_email and not user.email_verified:
            # Only after the password matched: a guesser learns nothing from it.
            self._counters.login("email_not_verified")
            raise EmailNotVerified()
        held = await self._held(
            user,
            purpose=purpose,
            first_amr=("pwd",),
            delivery=delivery,
            refresh_delivery=refresh_delivery,
        )
        if held is not None:
            return held
        issued = await self._start_session(user, client, refresh_delivery)
        self._counters.login("success")
        return self._signed_in(user, issued)

    async def sign_up(
        self,
        *,
        email: str,
        password: str,
        name: str,
        client: ClientInfo,
        refresh_delivery: RefreshDelivery = "cookie",
        delivery: AccessDelivery = "cookie",
    ) -> SignedIn | MfaRequired:
        """Create an account (password policy and login throttle apply) and sign it in; an
        account the MFA policy covers enrols a second factor first (:class:`MfaRequired`)."""
        user = await self._users.sign_up(email, password, name, ip=client.ip or None)
        held = await self._held(
            user,
            purpose="login",
            first_amr=("pwd",),
            delivery=delivery,
            refresh_delivery=refresh_delivery,
        )
        if held is not None:
            return held
        issued = await self._start_session(user, client, refresh_delivery)
        return self._signed_in(user, issued)

    async def sign_in_federated(
        self,
        user: User,
        *,
        provider: str,
        issuer: str,
        client: ClientInfo,
        purpose: ChallengePurpose = "login",
        provider_mfa: bool = False,
    ) -> SignedIn | MfaRequired:
        """Start a cookie-delivered session for ``user``, whom another identity provider just
        vouched for (DESIGN §14): ``amr`` is ``["fed"]`` and the ``login`` audit event names
        the provider. Who ``user`` is was decided by :class:`jotauth.federation.Federation`.

        A user with a second factor (or one the MFA policy requires) proves it here too
        (:class:`MfaRequired`, first factor ``fed``): the provider's sign-in is one factor,
        and linking an identity must not become a way around the account's own second one.

        ``provider_mfa``: the provider proved two factors itself (its ID token's ``amr`` has
        ``mfa``, from a provider configured to be trusted with that): no second step here,
        the session's amr is ``fed`` + ``mfa``, and the MFA policy is met.
        """
        if provider_mfa:
            return await self.sign_in_verified(
                user,
                amr=("fed", "mfa"),
                client=client,
                refresh_delivery="cookie",
                audit_detail={"provider": provider, "issuer": issuer, "provider_mfa": True},
            )
        if not user.disabled:
            held = await self._held(
                user, purpose=purpose, first_amr=("fed",), refresh_delivery="cookie"
            )
            if held is not None:
                return held
        return await self.sign_in_verified(
            user,
            amr=("fed",),
            client=client,
            refresh_delivery="cookie",
            audit_detail={"provider": provider, "issuer": issuer},
        )

    async def sign_in_verified(
        self,
        user: User,
        *,
        amr: tuple[str, ...],
        client: ClientInfo,
        refresh_delivery: RefreshDelivery = "cookie",
        audit_detail: dict[str, object] | None = None,
    ) -> SignedIn:
        """Start a session for ``user`` whose identity another use case has already proved
        (a provider, a passkey, a second factor); ``amr`` (RFC 8176) says how. A disabled
        user is refused (403 ``user_inactive``) even then."""
        if user.disabled:
            self._counters.login("invalid_credentials")
            raise UserInactive()
        issued = await self._sessions.create_session(
            user.id,
            user_agent=client.user_agent,
            ip=client.ip,
            refresh_delivery=refresh_delivery,
            amr=amr,
            audit_detail=audit_detail,
        )
        self._counters.login("success")
        return self._signed_in(user, issued)

    async def refresh(self, *, refresh_token: str, presented_in: RefreshDelivery) -> SignedIn:
        """Rotate the refresh token and mint a new access token for the session's user.

        ``presented_in`` must match how the session's refresh token was issued. A user
        disabled or deleted since the last refresh ends the session (401
        ``session_revoked``). Raises the sessions layer's errors and ``StoreUnavailable``.
        """
        try:
            # One unit of work: the rotation and the read of the session's owner.
            issued, user = await self._sessions.rotate_and_read_owner(
                refresh_token, presented_in=presented_in, owner=self._users.user_in
            )
        except SessionError as error:
            self._counters.refresh(error.code)
            raise
        if user is None or user.disabled:
            await self._sessions.revoke_session(issued.session.id, reason="user_disabled")
            self._counters.refresh("session_revoked")
            raise SessionRevoked()
        self._counters.refresh("success")
        return self._signed_in(user, issued)

    async def _held(
        self,
        user: User,
        *,
        purpose: ChallengePurpose,
        first_amr: tuple[str, ...],
        refresh_delivery: RefreshDelivery,
        delivery: AccessDelivery = "cookie",
    ) -> MfaRequired | None:
        """The second step this first factor leads to, when the gate asks for one."""
        if self._gate is None:
            return None
        held = await self._gate.hold(
            user,
            purpose=purpose,
            first_amr=first_amr,
            delivery=delivery,
            refresh_delivery=refresh_delivery,
        )
        if held is not None:
            self._counters.login("mfa_required")
        return held

    async def _start_session(
        self, user: User, client: ClientInfo, refresh_delivery: RefreshDelivery
    ) -> IssuedRefresh:
        return await self._sessions.create_session(
            user.id,
            user_agent=client.user_agent,
            ip=client.ip,
            refresh_delivery=refresh_delivery,
        )

    def _signed_in(self, user: User, issued: IssuedRefresh) -> SignedIn:
        access = self._tokens.issue_for_session(user, issued.session)
        return SignedIn(user=user, issued=issued, access=access)
