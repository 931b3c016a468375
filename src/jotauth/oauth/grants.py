"""The token endpoint's grants (RFC 6749 §4.1.3, §4.4, §6; OAuth 2.1 §4.1.3).

A code exchange starts a session of the §6 machinery (``refresh_delivery="oauth"``) that
an ``oauth_grants`` row ties to the client; the refresh grant rotates it with
:meth:`SessionService.rotate_refresh_token` — reuse detection, grace and revocation are
the first-party ones, not a second implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jotauth.accounts import AccessTokenIssuer
from jotauth.oauth.clients import ClientRegistry, OAuthClient
from jotauth.oauth.codes import AuthorizationCodes
from jotauth.oauth.errors import InvalidClient, InvalidGrant, InvalidScope, UnauthorizedClient
from jotauth.oauth.grant_records import GrantRecord, GrantRecords
from jotauth.oauth.id_tokens import IdTokenIssuer, IdTokenSubject
from jotauth.oauth.pkce import verifier_matches
from jotauth.oauth.scopes import issues_refresh_token
from jotauth.sessions import RefreshDelivery, SessionError, SessionService
from jotauth.users import User, UserService

# How an OAuth session's refresh token travels: only to /oauth2/token. The first-party
# refresh endpoint presents "body" or "cookie" and is refused (as an unknown token), so an
# OAuth refresh token never skips client authentication there, nor trades the grant's scope
# for the user's full scope.
OAUTH_DELIVERY: RefreshDelivery = "oauth"


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """How a request identified its client (RFC 6749 §2.3.1; ``none`` for public ones)."""

    client_id: str
    client_secret: str | None
    method: str  # client_secret_basic | client_secret_post | none


@dataclass(frozen=True, slots=True)
class TokenResponse:
    """A successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3)."""

    access_token: str
    expires_in: int
    scope: tuple[str, ...]
    refresh_token: str | None = None
    id_token: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The response body."""
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": " ".join(self.scope),
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        if self.id_token is not None:
            body["id_token"] = self.id_token
        return body


class Grants:
    """Authenticates clients and answers the three grant types."""

    def __init__(
        self,
        *,
        clients: ClientRegistry,
        codes: AuthorizationCodes,
        records: GrantRecords,
        sessions: SessionService,
        users: UserService,
        access_tokens: AccessTokenIssuer,
        id_tokens: IdTokenIssuer,
        clock: Callable[[], float],
    ) -> None:
        self._clients = clients
        self._codes = codes
        self._records = records
        self._sessions = sessions
        self._users = users
        self._access_tokens = access_tokens
        self._id_tokens = id_tokens
        self._clock = clock

    async def authenticate(self, credentials: ClientCredentials) -> OAuthClient:
        """The client, if the credentials fit its type; raises :class:`InvalidClient`."""
        client = await self._clients.get(credentials.client_id)
        if client is None:
            raise InvalidClient()
        if client.is_public:
            if credentials.method != "none":
                raise InvalidClient("a public client has no secret")
            return client
        if credentials.method == "none" or not client.check_secret(credentials.client_secret):
            raise InvalidClient()
        return client

    async def exchange_code(
        self,
        client: OAuthClient,
        *,
        code: str,
        redirect_uri: str | None,
        code_verifier: str | None,
        user_agent: str = "",
        ip: str = "",
    ) -> TokenResponse:
        """Redeem an authorization code once; a replay revokes what the first use issued."""
        redemption = await self._codes.redeem(code)
        if redemption.replayed_session_id is not None:
            # RFC 6749 §4.1.2: a code used twice means it leaked; end what it started.
            await self._sessions.revoke_session(
                redemption.replayed_session_id, reason="code_reused"
            )
            raise InvalidGrant("the authorization code was already used")
        grant = redemption.grant
        if grant is None:
            raise InvalidGrant("the authorization code is unknown, used or expired")
        if grant.client_id != client.client_id or grant.redirect_uri != redirect_uri:
            raise InvalidGrant("the code was issued to another client or redirect_uri")
        if not verifier_matches(code_verifier, grant.code_challenge):
            raise InvalidGrant("code_verifier does not match the code_challenge")
        user = await self._active_user(grant.user_id)
        browser = await self._sessions.get_session(grant.browser_session_id)
        if browser is None or not browser.is_active(self._clock()):
            raise InvalidGrant("the sign-in behind this code has ended")
        issued = await self._sessions.create_session(
            user.id,
            user_agent=user_agent or f"oauth:{client.name}",
            ip=ip,
            refresh_delivery=OAUTH_DELIVERY,
            # The client's session was signed in the way and at the time the browser's was.
            amr=browser.amr or ("pwd",),
            auth_time=grant.auth_time,
        )
        await self._codes.record_issued(code, issued.session.id)
        record = GrantRecord(
            session_id=issued.session.id,
            client_id=client.client_id,
            scope=grant.scope,
            auth_time=grant.auth_time,
            browser_session_id=grant.browser_session_id,
        )
        await self._records.add(record)
        refresh = issued.refresh_token if issues_refresh_token(client, grant.scope) else None
        return self._respond(
            client, user, record, refresh_token=refresh, nonce=grant.nonce, amr=issued.session.amr
        )

    async def refresh(
        self, client: OAuthClient, *, refresh_token: str, scope: str | None
    ) -> TokenResponse:
        """Rotate an OAuth session's refresh token (the §6 machinery) for its own client."""
        session = await self._sessions.session_of_refresh_token(refresh_token)
        record = await self._records.get(session.id) if session is not None else None
        # Checked before anything rotates: another client's token (or a first-party
        # browser session's) is refused without touching the session.
        if record is None or record.client_id != client.client_id:
            raise InvalidGrant("the refresh token is unknown or was issued to another client")
        narrowed = _narrowed(record.scope, scope)
        try:
            issued = await self._sessions.rotate_refresh_token(
                refresh_token, presented_in=OAUTH_DELIVERY
            )
        except SessionError as error:
            raise InvalidGrant(f"the refresh token is not valid ({error.code})") from None
        try:
            user = await self._active_user(issued.session.user_id)
        except InvalidGrant:
            await self._sessions.revoke_session(issued.session.id, reason="user_disabled")
            raise
        return self._respond(
            client,
            user,
            GrantRecord(
                session_id=record.session_id,
                client_id=record.client_id,
                scope=narrowed,
                auth_time=record.auth_time,
                browser_session_id=record.browser_session_id,
            ),
            refresh_token=issued.refresh_token,
            nonce=None,
            amr=issued.session.amr,
        )

    def client_credentials(self, client: OAuthClient, *, scope: str | None) -> TokenResponse:
        """A token for the client itself: confidential clients only, no refresh token."""
        if client.is_public:
            raise UnauthorizedClient("client_credentials needs a confidential client")
        granted = _narrowed(client.scopes, scope)
        issued = self._access_tokens.issue_for_client(client_id=client.client_id, scope=granted)
        return TokenResponse(access_token=issued.token, expires_in=issued.expires_in, scope=granted)

    async def _active_user(self, user_id: str) -> User:
        user = await self._users.get_user(user_id)
        if user is None or user.disabled:
            raise InvalidGrant("the user no longer exists or is disabled")
        return user

    def _respond(
        self,
        client: OAuthClient,
        user: User,
        record: GrantRecord,
        *,
        refresh_token: str | None,
        nonce: str | None,
        amr: tuple[str, ...],
    ) -> TokenResponse:
        # A third-party client acts within the scope the user approved; the user's roles
        # (which resource servers may trust for authorisation) are not delegated to it.
        roles = user.roles if client.first_party else ()
        access = self._access_tokens.issue(
            user_id=user.id,
            session_id=record.session_id,
            roles=roles,
            scope=record.scope,
            client_id=record.client_id,  # RFC 9068 §2.2: the client the token was issued to
            amr=amr or ("pwd",),
            auth_time=record.auth_time,
        )
        id_token = None
        if "openid" in record.scope:
            id_token = self._id_tokens.issue(
                IdTokenSubject(
                    user_id=user.id,
                    client_id=record.client_id,
                    auth_time=record.auth_time,
                    browser_session_id=record.browser_session_id,
                    nonce=nonce,
                    # OIDC Core §5.4: the email scope asks for email and email_verified.
                    email=user.email if "email" in record.scope else None,
                    email_verified=user.email_verified,
                    name=user.name if "profile" in record.scope else None,
                    amr=amr or ("pwd",),
                ),
                access_token=access.token,
                alg=client.id_token_signed_response_alg,
            )
        return TokenResponse(
            access_token=access.token,
            expires_in=access.expires_in,
            scope=record.scope,
            refresh_token=refresh_token,
            id_token=id_token,
        )


def _narrowed(allowed: tuple[str, ...], requested: str | None) -> tuple[str, ...]:
    """``requested`` when it is within ``allowed`` (RFC 6749 §6), else :class:`InvalidScope`."""
    if not requested:
        return allowed
    asked = tuple(dict.fromkeys(requested.split()))
    if not set(asked) <= set(allowed):
        raise InvalidScope("the scope exceeds what was granted")
    return asked
