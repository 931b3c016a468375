"""The guard's identity per Starlette: ``request.user`` is a ``BaseUser`` carrying the claims,
``request.auth.scopes`` the token's scopes, so Starlette's own ``@requires`` works."""

import json
import time
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, BaseUser, requires
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jotauth.guard import JWTAuthMiddleware
from jotauth.guard.fastapi import CurrentUser, JWTBearer, OptionalUser
from jotauth.guard.identity import TokenUser, claims_of, set_identity
from jotauth.jose import Claims, Key, KeySet, encode
from jotauth.verify import TokenVerifier

KEY = Key.generate("ES256", kid="k1")
VERIFIER = TokenVerifier(
    issuer="iss", audience="aud", keys=KeySet([KEY.public_key()]), algorithms=("ES256",)
)


def token(scope: str = "lessons:read", **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": "iss", "sub": "alice", "aud": "aud", "iat": now, "exp": now + 60}
    payload.update(sid="s1", scope=scope, roles=["student"], **claims)
    return encode(payload, KEY)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


@requires("lessons:read")
async def read_lessons(request: Request) -> JSONResponse:
    user = request.user
    return JSONResponse(
        {
            "is_base_user": isinstance(user, BaseUser),
            "authenticated": user.is_authenticated,
            "display_name": user.display_name,
            "identity": user.identity,
            "claims_sub": user.claims.sub,
            "sub": user.sub,
            "state_is_user": request.state.user is user,
            "auth_scopes": request.auth.scopes,
        }
    )


@requires("lessons:write", status_code=403)
async def write_lessons(request: Request) -> JSONResponse:
    return JSONResponse({"written": True})


def starlette_app() -> JWTAuthMiddleware:
    routes = [
        Route("/api/lessons", read_lessons),
        Route("/api/lessons/write", write_lessons, methods=["GET"]),
    ]
    return JWTAuthMiddleware(Starlette(routes=routes), verifier=VERIFIER, csrf="off")


async def get(app: Any, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        return await client.get(path, headers=headers)


async def test_starlette_requires_sees_the_user_and_scopes_the_guard_set() -> None:
    response = await get(starlette_app(), "/api/lessons", bearer(token("lessons:read other")))
    assert response.status_code == 200
    assert response.json() == {
        "is_base_user": True,
        "authenticated": True,
        "display_name": "alice",
        "identity": "alice",
        "claims_sub": "alice",
        "sub": "alice",
        "state_is_user": True,
        "auth_scopes": ["lessons:read", "other"],
    }


async def test_starlette_requires_refuses_a_token_without_the_scope() -> None:
    response = await get(starlette_app(), "/api/lessons/write", bearer(token("lessons:read")))
    assert response.status_code == 403
    allowed = await get(starlette_app(), "/api/lessons/write", bearer(token("lessons:write")))
    assert allowed.status_code == 200


async def test_without_a_token_the_guard_answers_before_starlette_requires_runs() -> None:
    response = await get(starlette_app(), "/api/lessons")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="jotauth"'


async def test_fastapi_current_user_is_still_the_claims_behind_the_middleware() -> None:
    app = FastAPI()

    @app.get("/api/me")
    async def me(request: Request, user: CurrentUser, maybe: OptionalUser) -> dict[str, Any]:
        return {
            "current_is_claims": type(user) is Claims,
            "optional_is_same": maybe is user,
            "request_user_claims_is_same": request.user.claims is user,
        }

    guarded = JWTAuthMiddleware(app, verifier=VERIFIER, csrf="off")
    response = await get(guarded, "/api/me", bearer(token()))
    assert response.json() == {
        "current_is_claims": True,
        "optional_is_same": True,
        "request_user_claims_is_same": True,
    }


async def test_jwt_bearer_sets_the_same_identity_without_the_middleware() -> None:
    app = FastAPI()
    check = JWTBearer(verifier=VERIFIER, csrf="off")

    @app.get("/me")
    async def me(request: Request, claims: Claims = Depends(check)) -> dict[str, Any]:  # noqa: B008
        return {"user": request.user.identity, "scopes": request.auth.scopes}

    response = await get(app, "/me", bearer(token("a b")))
    assert response.json() == {"user": "alice", "scopes": ["a", "b"]}


def test_token_user_reads_like_the_claims_it_carries() -> None:
    claims = VERIFIER.verify(token("x y", jti="j1"))
    user = TokenUser(claims)
    assert (user.sub, user.iss, user.aud, user.sid, user.jti) == (
        "alice",
        "iss",
        ("aud",),
        "s1",
        "j1",
    )
    assert (user.exp, user.iat, user.nbf) == (claims.exp, claims.iat, None)
    assert user.scope == frozenset({"x", "y"}) and user.roles == frozenset({"student"})
    assert user.raw["sub"] == "alice"
    assert user.has_scopes("x") and not user.has_scopes("z")
    assert user.has_roles("student") and not user.has_roles("admin")
    assert "alice" in repr(user) and "raw" not in repr(user)


def test_set_identity_keeps_the_servers_state_and_claims_of_reads_it_back() -> None:
    claims = VERIFIER.verify(token())
    scope: dict[str, Any] = {"state": {"lifespan": 1}}
    user = set_identity(scope, claims)
    assert scope["user"] is user and scope["state"] == {"lifespan": 1, "user": user}
    assert isinstance(scope["auth"], AuthCredentials) and scope["auth"].scopes == ["lessons:read"]
    assert claims_of(scope) is claims


@pytest.mark.parametrize("planted", [None, "alice", {"sub": "alice"}])
def test_claims_of_trusts_only_a_user_the_guard_set(planted: object) -> None:
    # Anything else in scope["user"] (another auth middleware, a test double) is not ours.
    assert claims_of({"user": planted}) is None


async def test_a_websocket_handshake_gets_the_same_identity() -> None:
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket

    async def echo_identity(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(
            {"identity": websocket.user.identity, "scopes": websocket.auth.scopes}
        )
        await websocket.close()

    app = JWTAuthMiddleware(
        Starlette(routes=[WebSocketRoute("/api/ws", echo_identity)]), verifier=VERIFIER
    )
    incoming = [{"type": "websocket.connect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "path": "/api/ws",
        "headers": [(b"authorization", f"Bearer {token('live')}".encode())],
        "subprotocols": [],
    }
    await app(scope, receive, send)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert json.loads(sent[1]["text"]) == {"identity": "alice", "scopes": ["live"]}
