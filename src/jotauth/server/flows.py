"""The authentication flows behind the routes: users + sessions + tokens + cookies.

Routes parse HTTP and call these; these call the users and sessions layers, mint access
tokens and decide what to deliver. Errors of the lower layers propagate unchanged (they
carry stable codes) and are mapped to HTTP in :mod:`jotauth.server.problems`.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from jotauth import jose
from jotauth.errors import JotauthError
from jotauth.server.cookies import CookiePolicy
from jotauth.server.csrf import CsrfTokens
from jotauth.server.metrics import ServerMetrics
from jotauth.server.problems import (
    CsrfFailed,
    InvalidCredentials,
    NotAuthenticated,
    NotFound,
    UserInactive,
)
from jotauth.server.schemas import MeResponse, SessionInfo, SessionList, TokenResponse
from jotauth.server.tokens import AccessTokenIssuer, IssuedAccessToken, OwnTokenVerifier
from jotauth.sessions import (
    IssuedRefresh,
    RefreshDelivery,
    SessionError,
    SessionRevoked,
    SessionService,
)
from jotauth.settings import Settings
from jotauth.store import StoreError
from jotauth.users import LoginThrottled, User, UserError, UserService

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True)
class ClientInfo:
    """Where a request comes from, as recorded on sessions and audit events."""

    ip: str
    user_agent: str


def client_of(request: Request) -> ClientInfo:
    """The peer address and User-Agent of ``request`` (bounded, for storage)."""
    ip = request.client.host if request.client else ""
    return ClientInfo(ip=ip[:64], user_agent=request.headers.get("user-agent", "")[:512])


@dataclass(frozen=True)
class SignedIn:
    """A user with a live session: what login, signup and refresh deliver."""

    user: User
    issued: IssuedRefresh
    access: IssuedAccessToken

    @property
    def session_id(self) -> str:
        """The session (refresh-token family) id."""
        return self.issued.session.id


class CsrfFailedAfterRotation(CsrfFailed):
    """The XSRF token belongs to another session, found out only after the rotation.

    The rotated cookies still go to the browser (the legitimate client's chain must not
    break, or its next refresh would look like token reuse); no access token is delivered.
    """

    def __init__(self, signed_in: SignedIn) -> None:
        super().__init__()
        self.signed_in = signed_in


class AuthFlows:
    """Login, refresh, logout and account operations of the auth server."""

    layer_errors: tuple[type[JotauthError], ...] = (
        jose.JoseError,
        StoreError,
        UserError,
        SessionError,
    )

    def __init__(
        self,
        settings: Settings,
        *,
        users: UserService,
        sessions: SessionService,
        tokens: AccessTokenIssuer,
        verifier: OwnTokenVerifier,
        cookies: CookiePolicy,
        csrf: CsrfTokens,
        metrics: ServerMetrics,
        clock: Callable[[], float],
    ) -> None:
        self._settings = settings
        self._users = users
        self._sessions = sessions
        self._tokens = tokens
        self._verifier = verifier
        self._cookies = cookies
        self._csrf = csrf
        self._metrics = metrics
        self._clock = clock

    # --- login / signup / refresh -----------------------------------------------------------

    async def login(
        self, *, email: str, password: str, client: ClientInfo, native: bool = False
    ) -> SignedIn:
        """Check the password and start a session; one error for unknown user and wrong password.

        ``native``: the refresh token goes in the response body (and must come back in one).
        """
        try:
            user = await self._users.authenticate(email, password, ip=client.ip or None)
        except LoginThrottled:
            self._metrics.logins.labels("throttled").inc()
            raise
        except Exception:
            self._metrics.logins.labels("error").inc()
            raise
        if user is None:
            self._metrics.logins.labels("invalid_credentials").inc()
            raise InvalidCredentials()
        issued = await self._sessions.create_session(
            user.id,
            user_agent=client.user_agent,
            ip=client.ip,
            refresh_delivery="body" if native else "cookie",
        )
        self._metrics.logins.labels("success").inc()
        return self._signed_in(user, issued)

    async def signup(
        self,
        *,
        email: str,
        password: str,
        name: str | None,
        client: ClientInfo,
        native: bool = False,
    ) -> SignedIn:
        """Create an account (password policy and login throttle apply) and log it in."""
        user = await self._users.sign_up(email, password, name or "", ip=client.ip or None)
        issued = await self._sessions.create_session(
            user.id,
            user_agent=client.user_agent,
            ip=client.ip,
            refresh_delivery="body" if native else "cookie",
        )
        return self._signed_in(user, issued)

    async def refresh(
        self,
        *,
        refresh_token: str,
        client: ClientInfo,
        csrf: tuple[str | None, str | None] | None,
        presented_in: RefreshDelivery = "cookie",
    ) -> SignedIn:
        """Rotate the refresh token; ``csrf`` = (header, cookie) when it came from a cookie.

        ``presented_in`` must match how the session's refresh token was issued (else 401
        ``invalid_refresh_token``).

        Raises :class:`CsrfFailed` before any state change when the header is missing or
        differs from the cookie, :class:`CsrfFailedAfterRotation` when it is another
        session's token, and the sessions layer's errors (401s) or ``StoreUnavailable`` (503).
        """
        if csrf is not None:
            _require_double_submit(*csrf)
        try:
            issued = await self._sessions.rotate_refresh_token(
                refresh_token, presented_in=presented_in
            )
        except SessionError as error:
            self._metrics.refreshes.labels(error.code).inc()
            raise
        user = await self._users.get_user(issued.session.user_id)
        if user is None or user.disabled:
            await self._sessions.revoke_session(issued.session.id, reason="user_disabled")
            self._metrics.refreshes.labels("session_revoked").inc()
            raise SessionRevoked()
        signed_in = self._signed_in(user, issued)
        if csrf is not None and not self._bound_to_session(csrf[0], signed_in.session_id):
            raise CsrfFailedAfterRotation(signed_in)
        self._metrics.refreshes.labels("success").inc()
        return signed_in

    def _signed_in(self, user: User, issued: IssuedRefresh) -> SignedIn:
        access = self._tokens.issue(
            user_id=user.id, session_id=issued.session.id, roles=user.roles, scope=user.scope
        )
        return SignedIn(user=user, issued=issued, access=access)

    def _bound_to_session(self, header: str | None, session_id: str) -> bool:
        expected = self._csrf.token_for_session(session_id).encode("ascii")
        return hmac.compare_digest((header or "").encode("ascii", "replace"), expected)

    # --- delivery -----------------------------------------------------------------------------

    def deliver(self, signed_in: SignedIn, *, delivery: str, native: bool) -> Response:
        """The login/refresh response: 204 + cookies, or the token in a JSON body.

        Native clients (no cookie jar) get the refresh token in the body and no cookies;
        browsers always get it as an HttpOnly cookie, never readable by script.
        """
        access = signed_in.access
        if native or delivery == "body":
            body = TokenResponse(
                access_token=access.token,
                expires_in=access.expires_in,
                expires_at=access.expires_at,
                refresh_token=signed_in.issued.refresh_token if native else None,
            )
            payload = body.model_dump(exclude_none=True)
            response = Response(
                json.dumps(payload, separators=(",", ":")).encode(),
                media_type="application/json",
                headers=_NO_STORE,
            )
            if not native:
                self.set_cookies(response, signed_in, with_access=False)
            return response
        response = Response(status_code=204, headers=_NO_STORE)
        self.set_cookies(response, signed_in, with_access=True)
        return response

    def set_cookies(self, response: Response, signed_in: SignedIn, *, with_access: bool) -> None:
        """Set the session cookies on ``response`` (access cookie only in cookie delivery)."""
        session = signed_in.issued.session
        refresh_max_age = max(
            0, int(min(session.idle_expires_at, session.expires_at) - self._clock())
        )
        self._cookies.set_session_cookies(
            response,
            access_token=signed_in.access.token if with_access else None,
            access_max_age=signed_in.access.expires_in,
            refresh_token=signed_in.issued.refresh_token,
            refresh_max_age=refresh_max_age,
            csrf_token=self._csrf.token_for_session(session.id),
        )

    # --- logout -------------------------------------------------------------------------------

    async def logout_api(self, request: Request) -> None:
        """End the session a request belongs to (Bearer, access cookie or refresh cookie).

        Cookie-authenticated logouts need the CSRF header (a forged logout is a nuisance,
        and with ``cookie_domain`` a sibling site could otherwise end sessions at will).
        Without any credential this is a no-op: logout is idempotent.
        """
        client = client_of(request)
        authorization = request.headers.get("authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise NotAuthenticated("The Authorization header must be 'Bearer <token>'.")
            bearer = self._verifier.verify(token.strip())
            await self._end(bearer.sid, bearer.sub, client)
            return
        header = request.headers.get(self._settings.csrf_header_name)
        cookie = request.cookies.get(self._cookies.csrf.name)
        access_cookie = request.cookies.get(self._cookies.access.name)
        refresh_cookie = request.cookies.get(self._cookies.refresh.name)
        if not access_cookie and not refresh_cookie:
            return
        _require_double_submit(header, cookie)
        claims = self._verified_or_none(access_cookie)
        if claims is not None and claims.sid:
            self._csrf.check_session_request(header=header, cookie=cookie, session_id=claims.sid)
            await self._end(claims.sid, claims.sub, client)
            return
        if refresh_cookie:
            # The access token expired: find the session through its refresh token.
            try:
                issued = await self._sessions.rotate_refresh_token(refresh_cookie)
            except SessionError:
                return  # already ended or unknown: nothing left to revoke
            if not self._bound_to_session(header, issued.session.id):
                raise CsrfFailed()
            await self._end(issued.session.id, issued.session.user_id, client)

    async def logout_browser(self, request: Request) -> None:
        """Hosted ``POST /logout``: end the browser's session (form CSRF already checked)."""
        client = client_of(request)
        claims = self._verified_or_none(request.cookies.get(self._cookies.access.name))
        if claims is not None and claims.sid:
            await self._end(claims.sid, claims.sub, client)
            return
        refresh_cookie = request.cookies.get(self._cookies.refresh.name)
        if refresh_cookie:
            try:
                issued = await self._sessions.rotate_refresh_token(refresh_cookie)
            except SessionError:
                return
            await self._end(issued.session.id, issued.session.user_id, client)

    def signed_in_claims(self, request: Request) -> jose.Claims | None:
        """The claims of the request's valid access cookie, or None."""
        return self._verified_or_none(request.cookies.get(self._cookies.access.name))

    def _verified_or_none(self, token: str | None) -> jose.Claims | None:
        if not token:
            return None
        try:
            return self._verifier.verify(token)
        except jose.InvalidToken:
            return None  # expired or foreign: fall back to the refresh cookie

    async def _end(self, session_id: str | None, user_id: str, client: ClientInfo) -> None:
        if session_id:
            await self._sessions.revoke_session(
                session_id, reason="logout", user_id=user_id, ip=client.ip or None
            )

    # --- account ------------------------------------------------------------------------------

    async def me(self, claims: jose.Claims) -> MeResponse:
        """The profile behind an access token (401 when the user is gone or disabled)."""
        user = await self._users.get_user(claims.sub)
        if user is None or user.disabled:
            raise UserInactive()
        return MeResponse(
            id=user.id,
            email=user.email,
            name=user.name or None,
            roles=sorted(claims.roles),
            scope=" ".join(sorted(claims.scope)),
        )

    async def list_sessions(self, *, user_id: str, current_session_id: str) -> SessionList:
        """The user's active sessions, ``current`` marking the caller's."""
        sessions = await self._sessions.list_sessions(user_id)
        return SessionList(
            sessions=[
                SessionInfo(
                    id=s.id,
                    created_at=int(s.created_at),
                    last_used_at=int(s.last_used_at),
                    expires_at=int(min(s.idle_expires_at, s.expires_at)),
                    user_agent=s.user_agent or None,
                    ip=s.ip or None,
                    current=s.id == current_session_id,
                )
                for s in sessions
            ]
        )

    async def revoke_session(self, *, user_id: str, session_id: str, client: ClientInfo) -> None:
        """End one of the user's own sessions; 404 for anyone else's (no probing of ids)."""
        ended = await self._sessions.revoke_session(
            session_id, reason="user", user_id=user_id, ip=client.ip or None
        )
        if not ended:
            existing = await self._sessions.get_session(session_id)
            if existing is None or existing.user_id != user_id:
                raise NotFound("No such session.")

    async def logout_all(self, *, user_id: str, client: ClientInfo) -> int:
        """End every session of the user; returns how many ended."""
        return await self._sessions.revoke_user_sessions(
            user_id, reason="logout_all", ip=client.ip or None
        )

    async def change_password(
        self,
        *,
        user_id: str,
        current_password: str,
        new_password: str,
        keep_session_id: str,
        client: ClientInfo,
    ) -> None:
        """Change the password and end every other session of the user."""
        await self._users.change_password(
            user_id,
            current_password,
            new_password,
            current_session_id=keep_session_id,
            ip=client.ip or None,
        )


def _require_double_submit(header: str | None, cookie: str | None) -> None:
    # First, cheap half of the check (no state touched yet): the header must be present and
    # equal to the cookie, which a cross-site page can neither read nor set.
    if not header or not cookie:
        raise CsrfFailed()
    if not hmac.compare_digest(
        header.encode("ascii", "replace"), cookie.encode("ascii", "replace")
    ):
        raise CsrfFailed()
