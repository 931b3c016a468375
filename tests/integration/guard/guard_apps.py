"""The guarded test apps of this directory (a module of their own: test modules import them,
and a ``conftest`` is not for importing)."""

import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from starlette.middleware.cors import CORSMiddleware

from jotauth.guard import CsrfPolicy, JWTAuthMiddleware, SilentRefresh
from jotauth.guard.fastapi import CurrentUser, OptionalUser, install_problem_handler
from jotauth.verify import JWKSClient, TokenVerifier
from tests.integration.guard.guard_harness import APP_ORIGIN, AUDIENCE, CSRF_SECRET, ISSUER

ACCESS_COOKIE = "jot_access"


def guarded_test_app(
    jwks_url: str,
    *,
    csrf: CsrfPolicy | None = None,
    silent_refresh: SilentRefresh | None = None,
    cookie_name: str = ACCESS_COOKIE,
    issuer: str = ISSUER,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """Routes that show what the middleware hands on (user, state, subprotocols)."""
    verifier = TokenVerifier(
        issuer=issuer, audience=AUDIENCE, keys=JWKSClient(jwks_url), clock=clock
    )
    app = FastAPI()

    @app.get("/api/whoami")
    async def whoami(request: Request, user: CurrentUser) -> dict[str, Any]:
        return {
            "sub": user.sub,
            "state_sub": request.state.user.sub,
            "request_user_sub": request.user.sub,
            "scope": sorted(user.scope),
        }

    @app.post("/api/items", status_code=201)
    async def add_item(user: CurrentUser) -> dict[str, str]:
        return {"created_by": user.sub}

    @app.options("/api/items")
    async def items_options(request: Request) -> dict[str, Any]:
        user = request.scope.get("user")
        return {"options_handler": True, "user": user.sub if user else None}

    @app.get("/api/public/ping")
    async def ping(user: OptionalUser) -> dict[str, Any]:
        return {"public": True, "user": user.sub if user else None}

    @app.get("/apix")
    async def apix() -> dict[str, bool]:
        return {"protected": False}

    @app.get("/open")
    async def open_route() -> dict[str, bool]:
        return {"protected": False}

    @app.websocket("/api/ws")
    async def ws(websocket: WebSocket) -> None:
        offered = websocket.scope.get("subprotocols", [])
        await websocket.accept()
        user = websocket.scope["user"]
        await websocket.send_json({"sub": user.sub, "subprotocols": offered})
        await websocket.close()

    install_problem_handler(app)
    # Added first, so it sits inside the guard: preflights reach it untouched.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[APP_ORIGIN],
        allow_credentials=True,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "X-XSRF-TOKEN", "Content-Type"],
    )
    app.add_middleware(
        JWTAuthMiddleware,
        verifier=verifier,
        protect=("/api",),
        exclude=("/api/public",),
        cookie_name=cookie_name,
        csrf=csrf
        if csrf is not None
        else CsrfPolicy(secret=CSRF_SECRET, allowed_origins=(APP_ORIGIN,)),
        silent_refresh=silent_refresh,
    )
    return app
