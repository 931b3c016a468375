"""The federation use cases (DESIGN §14): start a sign-in with a provider, complete it, and
the linking rules that decide whose account it opens.

Linking rules, in order (an identity is ``(issuer, subject)``, never an email address):

1. An identity already linked signs in to its account.
2. A signed-in user linking a provider gets the identity linked to their own account, unless
   it is linked to another (refused: one identity, one account).
3. Otherwise the provider's email decides only when it is safe: an existing account with that
   address is linked automatically only when the provider asserts ``email_verified`` *and*
   the operator marked the provider trusted for the address's domain; otherwise nothing is
   linked and the user is told to sign in first and link from the account page (no
   pre-account takeover through a provider that does not own the domain).
4. No account with that address: one is created, without a password, if the provider verified
   the address; an unverified address creates nothing (it would let whoever typed someone
   else's address at the provider own the account that address later signs up for).

Every refusal leaves the store as it was: the account and its identity commit together.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from jotauth.accounts import (
    ClientInfo,
    MfaRequired,
    RecentAuthentication,
    SignedIn,
    SignIn,
    UserInactive,
    sign_in_purpose,
)
from jotauth.federation.errors import (
    FederationRefused,
    FlowStateInvalid,
    IdentityAlreadyLinked,
    LinkRequired,
    ProviderEmailUnverified,
    UnknownProvider,
)
from jotauth.federation.identities import LinkedIdentities, LinkedIdentity
from jotauth.federation.pending import PendingSignIn, PendingSignIns
from jotauth.federation.providers import ProviderRegistry, UpstreamProvider
from jotauth.federation.upstream import Assertion, UpstreamClient
from jotauth.sessions import SessionInfo
from jotauth.store import AuditLog
from jotauth.users import User, UserExists, UserService

CALLBACK_PATH = "/login/federated/{name}/callback"
_MAX_PARAM = 4096


@dataclass(frozen=True, slots=True)
class Started:
    """Where to send the browser, and the sealed pending sign-in for its cookie."""

    location: str
    pending: str


@dataclass(frozen=True, slots=True)
class Completed:
    """A finished sign-in (``signed_in``), one that waits for the account's second factor
    (``mfa``), or a link (neither), and where to go next."""

    return_to: str | None
    identity: LinkedIdentity
    signed_in: SignedIn | None = None
    created_account: bool = False
    mfa: MfaRequired | None = None


class Federation:
    """Sign-in and linking through upstream identity providers."""

    def __init__(
        self,
        *,
        providers: ProviderRegistry,
        identities: LinkedIdentities,
        users: UserService,
        sign_in: SignIn,
        upstream: UpstreamClient,
        pending: PendingSignIns,
        base_url: str,
        audit: AuditLog,
        recent: RecentAuthentication,
        clock: Callable[[], float],
    ) -> None:
        self.providers = providers
        self.identities = identities
        self._users = users
        self._sign_in = sign_in
        self._upstream = upstream
        self._pending = pending
        self._base_url = base_url.rstrip("/")
        self._audit = audit
        self._recent = recent
        self._clock = clock

    def callback_url(self, name: str) -> str:
        """The redirect URI to register at the provider for ``name``."""
        return self._base_url + CALLBACK_PATH.format(name=name)

    async def start(
        self, name: str, *, return_to: str | None, link_user_id: str | None = None
    ) -> Started:
        """Begin a sign-in (or, with ``link_user_id``, a link) with provider ``name``.

        ``return_to`` must already be checked against the allowlist by the caller. Raises
        :class:`UnknownProvider`. Nothing is stored: the pending sign-in is sealed for a cookie.
        """
        provider = await self._provider(name)
        pending = PendingSignIn.new(
            name, return_to=return_to, link_user_id=link_user_id, now=self._clock()
        )
        location = await self._upstream.authorization_url(
            provider, pending, redirect_uri=self.callback_url(name)
        )
        return Started(location=location, pending=self._pending.seal(pending))

    async def complete(
        self,
        name: str,
        *,
        params: Mapping[str, str],
        pending_cookie: str | None,
        signed_in_user_id: str | None,
        client: ClientInfo,
    ) -> Completed:
        """Finish the sign-in the provider redirected back with (``params``: its query).

        Checks come first and in this order: the provider exists, the pending sign-in cookie
        opens, ``state`` matches it (CSRF), RFC 9207 ``iss`` (mix-up), then the code exchange
        and the ID token. Raises the :mod:`jotauth.federation.errors` (each leaves nothing
        written but an audit event), and the layers' ``StoreUnavailable``.
        """
        provider = await self._provider(name)
        pending = self._pending.open(pending_cookie, provider=name)
        state = params.get("state", "")
        if not state or not hmac.compare_digest(state.encode(), pending.state.encode()):
            raise FlowStateInvalid()
        self._check_iss(provider, params.get("iss"))
        if params.get("error"):
            raise FederationRefused(
                "The provider did not sign you in"
                + (" (you declined)." if params.get("error") == "access_denied" else ".")
            )
        code = params.get("code", "")
        if not code or len(code) > _MAX_PARAM:
            raise FederationRefused("The provider's answer has no authorization code.")
        if pending.link_user_id is not None and pending.link_user_id != signed_in_user_id:
            # The link was started by another sign-in than the browser's current one.
            raise FlowStateInvalid("You are no longer signed in as the account you were linking.")
        assertion = await self._upstream.assertion(
            provider, pending, code=code, redirect_uri=self.callback_url(name)
        )
        try:
            if pending.link_user_id is not None:
                return await self._link(pending, assertion, pending.link_user_id)
            # The provider's word on the second factor counts only where the operator said so.
            vouched = provider.accept_mfa and assertion.mfa
            return await self._sign_in_with(pending, assertion, client, provider_mfa=vouched)
        except (LinkRequired, ProviderEmailUnverified, IdentityAlreadyLinked) as refused:
            await self._audit.record(
                "federation_refused",
                ip=client.ip or None,
                detail={"provider": name, "issuer": provider.issuer, "reason": refused.code},
            )
            raise

    async def _link(self, pending: PendingSignIn, assertion: Assertion, user_id: str) -> Completed:
        existing = await self.identities.find(assertion.issuer, assertion.subject)
        if existing is not None:
            if existing.user_id != user_id:
                raise IdentityAlreadyLinked()
            return Completed(return_to=pending.return_to, identity=existing)
        identity = await self.identities.link(user_id, assertion, how="signed_in")
        return Completed(return_to=pending.return_to, identity=identity)

    async def _sign_in_with(
        self,
        pending: PendingSignIn,
        assertion: Assertion,
        client: ClientInfo,
        *,
        provider_mfa: bool,
    ) -> Completed:
        created = False
        identity = await self.identities.find(assertion.issuer, assertion.subject)
        if identity is not None:
            user = await self._users.get_user(identity.user_id)
            await self.identities.touch(identity.id)
        else:
            user, identity, created = await self._first_sign_in(assertion)
        if user is None:
            raise IdentityAlreadyLinked("The account of this identity no longer exists.")
        return_to = pending.return_to
        signed_in = await self._sign_in.sign_in_federated(
            user,
            provider=assertion.provider,
            issuer=assertion.issuer,
            client=client,
            purpose=sign_in_purpose(return_to),
            provider_mfa=provider_mfa,
        )
        if isinstance(signed_in, MfaRequired):
            return Completed(
                return_to=return_to, identity=identity, created_account=created, mfa=signed_in
            )
        return Completed(
            return_to=return_to,
            identity=identity,
            signed_in=signed_in,
            created_account=created,
        )

    async def _first_sign_in(self, assertion: Assertion) -> tuple[User, LinkedIdentity, bool]:
        """Rules 3 and 4 of the module docstring."""
        if assertion.email is None:
            raise ProviderEmailUnverified("The sign-in provider did not share an email address.")
        existing = await self._users.get_user_by_email(assertion.email)
        if existing is not None:
            if existing.disabled:
                raise UserInactive()
            provider = await self._provider(assertion.provider)
            if not (assertion.email_verified and provider.trusts_email_domain(assertion.email)):
                raise LinkRequired()
            identity = await self.identities.link(existing.id, assertion, how="trusted_email")
            return existing, identity, False
        if not assertion.email_verified:
            raise ProviderEmailUnverified()
        linked: list[LinkedIdentity] = []

        async def link_it(conn: AsyncConnection, user: User) -> None:
            linked.append(await self.identities.link_in(conn, user.id, assertion, how="created"))

        try:
            # Only a provider-verified address gets this far: the account starts verified.
            user = await self._users.create_user_without_password(
                assertion.email, assertion.name, email_verified=True, on_created=link_it
            )
        except UserExists:
            # A race with a sign-up or another first sign-in of the same identity: both keys
            # are unique, so exactly one won; this one changes nothing.
            raise IdentityAlreadyLinked(
                "This account was just created by another sign-in. Try again."
            ) from None
        return user, linked[0], True

    def _check_iss(self, provider: UpstreamProvider, iss: str | None) -> None:
        # RFC 9207 §2.4: an iss parameter must be the provider's issuer; a provider that
        # announces iss support must send it. Either way a mix-up attack is stopped here.
        if iss is not None:
            if iss != provider.issuer:
                raise FederationRefused("The answer came from another provider (iss mismatch).")
        elif provider.iss_parameter_supported:
            raise FederationRefused("The provider's answer lacks its iss parameter.")

    async def _provider(self, name: str) -> UpstreamProvider:
        provider = await self.providers.get(name)
        if provider is None:
            raise UnknownProvider()
        return provider

    async def identities_of(self, user_id: str) -> tuple[LinkedIdentity, ...]:
        """The identities linked to the user's account (``/me``, the account page)."""
        return await self.identities.of_user(user_id)

    async def unlink(self, user_id: str, identity_id: str) -> LinkedIdentity:
        """Unlink one of the user's own identities, never the last way to sign in."""
        return await self.identities.unlink(user_id, identity_id)

    async def set_first_password(
        self,
        *,
        user_id: str,
        session: SessionInfo,
        password: str,
        client: ClientInfo,
    ) -> None:
        """Give an account created through a provider a password (then it can also sign in
        with email and password). Needs a recent sign-in, the rule of every other sensitive
        change (403 ``insufficient_user_authentication``): a copied access token must not
        turn into a permanent password."""
        self._recent.check(session)
        await self._users.set_first_password(
            user_id, password, session_id=session.id, ip=client.ip or None
        )
