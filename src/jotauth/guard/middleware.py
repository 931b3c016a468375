"""``JWTAuthMiddleware``: pure ASGI access-token guard for path prefixes (DESIGN §7).

The equivalent of ``app.use('/api', expressJwt(...).unless(...))`` for any ASGI app::

    app.add_middleware(JWTAuthMiddleware, verifier=verifier, protect=("/api",))

Protected HTTP requests need a valid access token (``Authorization: Bearer`` or the access
cookie); the verified user lands in ``scope["user"]`` (Starlette's ``request.user``, a
:class:`~jotauth.guard.identity.TokenUser` carrying the claims) and ``request.state.user``,
its scopes in ``scope["auth"]`` (``request.auth.scopes``, what Starlette's ``@requires``
reads). Failures are problem+json with the
RFC 6750 challenge. WebSocket handshakes are authenticated too and closed with 1008 (policy
violation) when the token is missing or invalid.

CORS preflights pass untouched and unauthenticated: a browser never attaches credentials to
one (Fetch standard §4.8). A preflight is an ``OPTIONS`` request with both ``Origin`` and
``Access-Control-Request-Method`` (Fetch §3.2.2: every CORS request carries ``Origin``); any
other ``OPTIONS`` request is authenticated like the rest. Since anyone can send a preflight,
``OPTIONS`` handlers under a protected prefix must not do work or reveal anything: leave
preflights to the CORS middleware.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from jotauth.problems import DEFAULT_REALM, PROBLEM_SPECS, ProblemRenderer
from jotauth.verify import TokenVerifier

from .authenticator import Authenticator
from .credentials import TOKEN_SOURCES, WEBSOCKET_BEARER_PROTOCOL, TokenSource
from .csrf import CsrfPolicy
from .errors import GuardError, RefreshFailed
from .identity import set_identity
from .paths import PathRules
from .problems import send_problem
from .refresh import SilentRefresh
from .step_up import StepUp, StepUpPaths

if TYPE_CHECKING:
    from .revocations import RevocationCheck

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# RFC 6455 §7.4.1: 1008 policy violation (bad credentials), 1013 try again later (keys
# unavailable: not the client's fault).
WS_POLICY_VIOLATION = 1008
WS_TRY_AGAIN_LATER = 1013


class JWTAuthMiddleware:
    """Require a valid access token on protected path prefixes (see module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        verifier: TokenVerifier,
        protect: Iterable[str] = ("/api",),
        exclude: Iterable[str] = (),
        token_sources: Sequence[TokenSource] = TOKEN_SOURCES,
        cookie_name: str | None = None,
        csrf: CsrfPolicy | Literal["off"] | None = None,
        realm: str = DEFAULT_REALM,
        silent_refresh: SilentRefresh | None = None,
        revocations: RevocationCheck | None = None,
        step_up: Mapping[str, StepUp | Iterable[StepUp]] | None = None,
    ) -> None:
        """``revocations`` (a :class:`~jotauth.guard.revocations.PolledRevocations` or
        :class:`~jotauth.guard.revocations.RedisRevocations`) makes the guard refuse, within
        about a second, access tokens of sessions the auth server has ended.

        ``step_up`` maps path prefixes to what their requests need of the sign-in
        (:func:`~jotauth.guard.require_amr`, :func:`~jotauth.guard.require_recent_auth`),
        e.g. ``{"/api/admin": require_amr("mfa")}``: else 403
        ``insufficient_user_authentication``. Its prefixes are always protected."""
        self.app = app
        self.paths = PathRules(protect, exclude)
        rules = StepUpPaths(step_up or {})
        self.step_up = rules if rules else None
        self.authenticator = Authenticator(
            verifier=verifier,
            token_sources=token_sources,
            cookie_name=cookie_name,
            csrf=csrf,
            silent_refresh=silent_refresh,
            revocations=revocations,
        )
        self.problems = ProblemRenderer(realm)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http" or kind == "websocket":
            path = scope["path"]
            need = self.step_up.for_path(path) if self.step_up is not None else None
            # A step-up prefix is protected even where ``exclude`` would open it: a
            # requirement on the token can only be met by a token (fail closed).
            if need is not None or self.paths.protects(path):
                if kind == "http":
                    await self._http(scope, receive, send, need)
                else:
                    await self._websocket(scope, receive, send, need)
                return
        await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send, need: StepUp | None) -> None:
        authenticator = self.authenticator
        try:
            # A Bearer token verified before, checked again: no coroutine, no header pass.
            claims = authenticator.cached_bearer(scope)
        except GuardError as error:
            await send_problem(send, self.problems.render(error))
            return
        extra: list[tuple[bytes, bytes]] = []
        if claims is None:
            view = authenticator.view(scope)
            if view.preflight and view.origin is not None and view.method == "OPTIONS":
                # CORS preflight (Fetch standard §3.2.2, §4.8): never carries credentials;
                # the CORS middleware downstream answers it. Without Origin it is no
                # preflight (every CORS request has one), so a bare
                # Access-Control-Request-Method opens nothing.
                await self.app(scope, receive, send)
                return
            try:
                authenticated = await authenticator.authenticate(view)
            except RefreshFailed as error:
                cookies = _set_cookie_headers(error.set_cookies)
                await send_problem(send, self.problems.render(error), cookies)
                return
            except GuardError as error:
                await send_problem(send, self.problems.render(error))
                return
            claims = authenticated.claims
            if authenticated.set_cookies:
                extra = _set_cookie_headers(authenticated.set_cookies)
        if need is not None:
            try:
                need.enforce(claims, authenticator.verifier)
            except GuardError as error:
                # Refreshed cookies still go out: the session is fine, only this resource
                # wants more of its sign-in.
                await send_problem(send, self.problems.render(error), extra)
                return
        set_identity(scope, claims, authenticator.verifier)
        try:
            # The plain ``send`` on the hot path; a wrapper only to add refreshed cookies.
            await self.app(scope, receive, _adding_headers(send, extra) if extra else send)
        except GuardError as error:
            # Raised by a dependency (a scope check) before the response started: rendered
            # here so an app without the problem handler still never answers 500. (After the
            # start, the server refuses this second start and drops the connection, as for
            # any error at that point.)
            await send_problem(send, self.problems.render(error), extra)

    # --- WebSocket ------------------------------------------------------------------------

    async def _websocket(
        self, scope: Scope, receive: Receive, send: Send, need: StepUp | None
    ) -> None:
        authenticator = self.authenticator
        view = authenticator.view(scope)
        offered: list[str] = list(scope.get("subprotocols") or ())
        try:
            authenticated = await authenticator.authenticate_websocket(view, offered)
            if need is not None:
                need.enforce(authenticated.claims, authenticator.verifier)
        except GuardError as error:
            await _refuse_websocket(receive, send, error, offered)
            return
        inner = dict(scope)
        set_identity(inner, authenticated.claims, authenticator.verifier)
        if authenticated.source != "subprotocol":
            await self.app(inner, receive, send)
            return
        # The token must not travel further: drop it from the offered subprotocols and the
        # raw header, and never let it be echoed back as the selected subprotocol.
        token_index = offered.index(WEBSOCKET_BEARER_PROTOCOL) + 1
        remaining = offered[:token_index] + offered[token_index + 1 :]
        inner["subprotocols"] = remaining
        inner["headers"] = [
            (name, value) for name, value in scope["headers"] if name != b"sec-websocket-protocol"
        ] + [(b"sec-websocket-protocol", ", ".join(remaining).encode("latin-1"))]

        async def send_with_protocol(message: Message) -> None:
            if message["type"] == "websocket.accept":
                chosen = message.get("subprotocol")
                if chosen is None or chosen not in remaining:
                    # Browsers fail a handshake that offered subprotocols and got none back.
                    message = {**message, "subprotocol": WEBSOCKET_BEARER_PROTOCOL}
            await send(message)

        await self.app(inner, receive, send_with_protocol)


async def _refuse_websocket(
    receive: Receive, send: Send, error: GuardError, offered: list[str]
) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return  # the client is gone already
    # Accept, then close with a code and reason: the browser's close event then says why,
    # where a rejected handshake is only an opaque 1006. No app code has run.
    accept: Message = {"type": "websocket.accept"}
    if offered:
        # Browsers fail a handshake that offered subprotocols and got none back (and would
        # then report 1006, not our 1008). Never the token: the marker, or the first offer.
        marked = WEBSOCKET_BEARER_PROTOCOL in offered
        accept["subprotocol"] = WEBSOCKET_BEARER_PROTOCOL if marked else offered[0]
    await send(accept)
    reported = error.reported_code
    status = PROBLEM_SPECS[reported].status
    code = WS_TRY_AGAIN_LATER if status >= 500 else WS_POLICY_VIOLATION
    # RFC 6455 §5.5: a close reason fits in 123 bytes.
    await send({"type": "websocket.close", "code": code, "reason": reported[:123]})


def _set_cookie_headers(values: Iterable[bytes]) -> list[tuple[bytes, bytes]]:
    return [(b"set-cookie", value) for value in values]


def _adding_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    """``send`` that appends ``extra`` (Set-Cookie) to the response headers."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            headers.extend(extra)
            if not any(name.lower() == b"cache-control" for name, _ in headers):
                # A response that sets token cookies must never be stored by a cache.
                headers.append((b"cache-control", b"no-store"))
            message = {**message, "headers": headers}
        await send(message)

    return send_with_headers
