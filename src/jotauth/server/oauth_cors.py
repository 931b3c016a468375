"""CORS for the provider's endpoints that browser-based (public) clients call directly.

Pure ASGI, outermost: the app-wide ``CORSMiddleware`` (credentialed, for the allowlisted
first-party origins) would answer every other origin's preflight with a 400. Here the
origins are those of the registered public clients' redirect URIs, looked up per request,
and no credentials (cookies) are allowed: these endpoints take tokens, not cookies. The
discovery documents and the JWKS are public and open to every origin.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CORS_PATHS = frozenset({"/oauth2/token", "/oauth2/userinfo", "/oauth2/revoke"})
# Public documents every client library fetches from the browser before it knows anything.
OPEN_PATHS = frozenset(
    {
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwks.json",
    }
)
_ALLOWED_HEADERS = "Authorization, Content-Type"


class OAuthCors:
    """Adds ``Access-Control-Allow-Origin`` for registered public clients' origins."""

    def __init__(self, app: ASGIApp, *, origins: Callable[[], Awaitable[frozenset[str]]]) -> None:
        self.app = app
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, _open_to_every_origin(send))
            return
        if scope["type"] != "http" or scope["path"] not in CORS_PATHS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        allowed = origin in await self.origins()
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            preflight = {"Vary": "Origin"}
            if allowed:
                preflight.update(
                    {
                        "Access-Control-Allow-Origin": origin,
                        "Access-Control-Allow-Methods": "GET, POST",
                        "Access-Control-Allow-Headers": _ALLOWED_HEADERS,
                        "Access-Control-Max-Age": "600",
                    }
                )
            await Response(status_code=204 if allowed else 403, headers=preflight)(
                scope, receive, send
            )
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers.add_vary_header("Origin")
                if allowed:
                    response_headers["Access-Control-Allow-Origin"] = origin
                    response_headers["Access-Control-Expose-Headers"] = "WWW-Authenticate"
            await send(message)

        await self.app(scope, receive, with_cors)


def _open_to_every_origin(send: Send) -> Send:
    """``Access-Control-Allow-Origin: *`` (no credentials) unless already answered."""

    async def with_star(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message).setdefault("Access-Control-Allow-Origin", "*")
        await send(message)

    return with_star
