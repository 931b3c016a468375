"""The two busiest API routes without FastAPI's per-request machinery (issue 15).

A refresh and ``/me`` are most of an SPA's traffic. FastAPI resolves each request's
dependencies, parses and validates its body through its generic machinery and walks its
nested routers; for these two routes that cost more server CPU than the use case's own
Python. A :class:`HotRoute` sits first in the app's router and answers the plain requests
itself by calling the *same* endpoint functions of ``routes.auth_api`` (so the same use
cases, the same ``SessionDelivery``, the same problems raised and rendered by the app's
handlers). Any request it is not sure about (an unusual body, another method) goes on to the
FastAPI route untouched, so every edge (422 wording, 405, 415 order) stays FastAPI's.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette._utils import get_route_path  # what Starlette's own routes match against
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Message, Receive, Scope, Send

from jotauth.server.context import ServerContext
from jotauth.server.routes import auth_api
from jotauth.server.schemas import RefreshRequest

# Set on a request a hot route passed on, so the router's second pass skips it.
_DECLINED = "jotauth.hot_route_declined"
_REFRESH_FIELDS = frozenset(RefreshRequest.model_fields)

# None: not a request this route answers itself; FastAPI's route does.
Handler = Callable[[Request, ServerContext, bytes], Awaitable[Response | None]]


class HotRoute(BaseRoute):
    """Answers ``method path`` with ``handler``, labelled as the FastAPI ``route`` it
    shadows (metrics and logs see the same route); declined requests go on to it."""

    def __init__(self, route: APIRoute, method: str, handler: Handler, *, reads_body: bool):
        self.route = route
        self.path = route.path
        self.method = method
        self.handler = handler
        self.reads_body = reads_body

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if (
            scope["type"] == "http"
            and scope["method"] == self.method
            and get_route_path(scope) == self.path
            and _DECLINED not in scope
        ):
            return Match.FULL, {
                "route": self.route,
                "endpoint": self.route.endpoint,
                "path_params": {},
            }
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        body = await request.body() if self.reads_body else b""
        response = await self.handler(request, request.app.state.context, body)
        if response is None:
            scope[_DECLINED] = True
            await scope["app"].router(scope, _replaying(body, receive), send)
            return
        await response(scope, receive, send)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """``receive`` with the body already read handed out again, first."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refresh(request: Request, context: ServerContext, raw: bytes) -> Response | None:
    if raw:
        # Only a JSON object of the model's string fields, sent as ``application/json``:
        # anything else (other media types, malformed JSON, wrong types) is FastAPI's to refuse.
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type != "application/json":
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if not (
            isinstance(data, dict)
            and data.keys() <= _REFRESH_FIELDS
            and all(isinstance(value, str) for value in data.values())
        ):
            return None
        try:
            body: RefreshRequest | None = RefreshRequest.model_validate(data)
        except ValidationError:
            return None
    else:
        body = None
    await auth_api.require_json(request)
    return await auth_api.refresh(request, context, body)


async def _me(request: Request, context: ServerContext, _raw: bytes) -> Response | None:
    await auth_api.require_json(request)
    return await auth_api.me(request, context)


def hot_routes() -> list[BaseRoute]:
    """The hot routes, to be placed before every other route of the app."""
    routes = {
        (route.path, method): route
        for route in auth_api.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    return [
        HotRoute(routes["/api/auth/refresh", "POST"], "POST", _refresh, reads_body=True),
        HotRoute(routes["/api/auth/me", "GET"], "GET", _me, reads_body=False),
    ]
