"""The authorization endpoint's use case (RFC 6749 §4.1.1, OIDC Core §3.1.2, OAuth 2.1).

``response_type=code`` only, PKCE ``S256`` for every client, the redirect URI matched
exactly, the RFC 9207 ``iss`` parameter in every response. A request with an unknown client
or redirect URI is :class:`NotRedirectable` (shown to the user, never redirected); every
later error goes back to the client's redirect URI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from jotauth.oauth.clients import ClientRegistry, OAuthClient, origin_of
from jotauth.oauth.codes import AuthorizationCodes, CodeGrant
from jotauth.oauth.consents import Consents
from jotauth.oauth.errors import (
    ConsentRequired,
    InvalidRequest,
    LoginRequired,
    NotRedirectable,
    OAuthError,
    UnsupportedResponseType,
)
from jotauth.oauth.pkce import is_s256_challenge
from jotauth.oauth.scopes import granted_scopes
from jotauth.sessions import SessionService

AUTHORIZE_PATH = "/oauth2/authorize"
_MAX_PARAM = 512
_PROMPTS = frozenset({"none", "login", "consent"})


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A checked authorization request."""

    client: OAuthClient
    redirect_uri: str
    scope: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str
    prompt: frozenset[str]
    max_age: int | None

    def form_fields(self) -> dict[str, str]:
        """The request as parameters again (the consent form posts them back)."""
        fields = {
            "response_type": "code",
            "client_id": self.client.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(self.scope),
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
        }
        if self.state is not None:
            fields["state"] = self.state
        if self.nonce is not None:
            fields["nonce"] = self.nonce
        return fields


@dataclass(frozen=True, slots=True)
class BrowserSession:
    """The provider's own sign-in of the browser (from its access cookie)."""

    user_id: str
    session_id: str
    auth_time: float


class RedirectToClient(Exception):
    """An authorization error that goes back to the client (RFC 6749 §4.1.2.1)."""

    def __init__(self, location: str, error: OAuthError) -> None:
        self.location = location
        self.error = error
        super().__init__(error.description)


@dataclass(frozen=True, slots=True)
class LoginNeeded:
    """Send the browser to the hosted login first (``force``: even if signed in)."""

    force: bool


@dataclass(frozen=True, slots=True)
class ConsentNeeded:
    """A third-party client: ask the user."""

    request: AuthorizationRequest


@dataclass(frozen=True, slots=True)
class Approved:
    """Redirect to the client with a code."""

    location: str


Outcome = LoginNeeded | ConsentNeeded | Approved


class Authorization:
    """Checks authorization requests and answers them with codes."""

    def __init__(
        self,
        *,
        issuer: str,
        clients: ClientRegistry,
        codes: AuthorizationCodes,
        consents: Consents,
        sessions: SessionService,
        clock: Callable[[], float],
    ) -> None:
        self._issuer = issuer
        self._clients = clients
        self._codes = codes
        self._consents = consents
        self._sessions = sessions
        self._clock = clock

    async def browser_session(self, user_id: str, session_id: str | None) -> BrowserSession | None:
        """The browser's active sign-in for an access cookie's ``sub``/``sid``, else None."""
        if not session_id:
            return None
        session = await self._sessions.get_session(session_id)
        if session is None or session.user_id != user_id or not session.is_active(self._clock()):
            return None
        return BrowserSession(
            user_id=user_id, session_id=session.id, auth_time=session.authenticated_at
        )

    async def redirect_origin(self, return_to: str | None) -> str | None:
        """The origin an authorization request in ``return_to`` will redirect to, so the
        login page's CSP ``form-action`` lets the redirect chain after its POST through."""
        if not return_to or not return_to.startswith(AUTHORIZE_PATH + "?"):
            return None
        params = parse_qs(urlsplit(return_to).query)
        client = await self._clients.get((params.get("client_id") or [""])[0])
        redirect_uri = (params.get("redirect_uri") or [""])[0]
        if client is None or redirect_uri not in client.redirect_uris:
            return None
        return origin_of(redirect_uri)

    async def check(self, params: Mapping[str, str]) -> AuthorizationRequest:
        """Validate a request; raises :class:`NotRedirectable` or :class:`RedirectToClient`."""
        client = await self._clients.get(params.get("client_id", ""))
        if client is None:
            raise NotRedirectable("This application is not registered with the sign-in service.")
        redirect_uri = params.get("redirect_uri", "")
        # Exact string comparison (OAuth 2.1 §4.1.1, RFC 9700 §4.1.3): no prefix, no
        # normalisation, so no open redirect through a registered URI's neighbours.
        if redirect_uri not in client.redirect_uris:
            raise NotRedirectable("The return address of this sign-in request is not registered.")
        state = params.get("state") or None
        try:
            if state is not None and len(state) > _MAX_PARAM:
                state = None
                raise InvalidRequest("state is too long")
            if params.get("response_type") != "code":
                raise UnsupportedResponseType()
            if params.get("code_challenge_method") != "S256":
                raise InvalidRequest("PKCE with code_challenge_method=S256 is required")
            challenge = params.get("code_challenge", "")
            if not is_s256_challenge(challenge):
                raise InvalidRequest("code_challenge must be a base64url SHA-256 (43 characters)")
            if "request" in params or "request_uri" in params:
                raise InvalidRequest("request objects are not supported")
            prompt = frozenset(params.get("prompt", "").split())
            if not prompt <= _PROMPTS or ("none" in prompt and len(prompt) > 1):
                raise InvalidRequest("prompt must be none, login or consent")
            return AuthorizationRequest(
                client=client,
                redirect_uri=redirect_uri,
                scope=granted_scopes(client, params.get("scope")),
                state=state,
                nonce=_optional(params, "nonce"),
                code_challenge=challenge,
                prompt=prompt,
                max_age=_max_age(params.get("max_age")),
            )
        except OAuthError as error:
            raise RedirectToClient(self.error_location(redirect_uri, state, error), error) from None

    async def authorize(
        self, request: AuthorizationRequest, browser: BrowserSession | None, *, consented: bool
    ) -> Outcome:
        """Decide: log in first, ask for consent, or approve with a code.

        ``consented``: the user just approved on the consent page (remembered, so a later
        request within the same scopes skips the page).
        """
        stale = (
            browser is not None
            and request.max_age is not None
            and self._clock() - browser.auth_time > request.max_age
        )
        if browser is None or stale or "login" in request.prompt:
            if "none" in request.prompt:
                raise self._to_client(request, LoginRequired())
            return LoginNeeded(force=browser is not None)
        # First-party clients are the operator's own apps: no consent screen (DESIGN §11).
        if not request.client.first_party:
            user_id, client_id = browser.user_id, request.client.client_id
            if consented:
                await self._consents.remember(
                    user_id=user_id, client_id=client_id, scope=request.scope
                )
            elif "consent" in request.prompt or not await self._consents.covers(
                user_id=user_id, client_id=client_id, scope=request.scope
            ):
                if "none" in request.prompt:
                    raise self._to_client(request, ConsentRequired())
                return ConsentNeeded(request)
        code = await self._codes.issue(
            CodeGrant(
                client_id=request.client.client_id,
                user_id=browser.user_id,
                browser_session_id=browser.session_id,
                redirect_uri=request.redirect_uri,
                code_challenge=request.code_challenge,
                scope=request.scope,
                nonce=request.nonce,
                auth_time=browser.auth_time,
            )
        )
        return Approved(self._location(request.redirect_uri, request.state, {"code": code}))

    def deny(self, request: AuthorizationRequest, error: OAuthError) -> str:
        """Where to send the browser when the user refuses (``access_denied``)."""
        return self.error_location(request.redirect_uri, request.state, error)

    def error_location(self, redirect_uri: str, state: str | None, error: OAuthError) -> str:
        """The client's redirect URI with ``error``, ``error_description``, state and iss."""
        params = {"error": error.error, "error_description": error.description}
        return self._location(redirect_uri, state, params)

    def _to_client(self, request: AuthorizationRequest, error: OAuthError) -> RedirectToClient:
        return RedirectToClient(self.deny(request, error), error)

    def _location(self, redirect_uri: str, state: str | None, params: dict[str, str]) -> str:
        # RFC 9207: iss in every authorization response, so a client talking to several
        # providers detects a mix-up attack.
        query = {**params, **({"state": state} if state is not None else {}), "iss": self._issuer}
        separator = "&" if "?" in redirect_uri else "?"
        return redirect_uri + separator + urlencode(query)


def _optional(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if len(value) > _MAX_PARAM:
        raise InvalidRequest(f"{name} is too long")
    return value


def _max_age(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    # isascii first: str.isdigit() also accepts "²" and other digits int() refuses.
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise InvalidRequest("max_age must be a non-negative integer")
    return int(value)
