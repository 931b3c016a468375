"""Step-up over real HTTP, in every integration of the guard: FastAPI dependencies (behind
the middleware and with ``JWTBearer``), the middleware's ``step_up=`` prefixes on a plain
Starlette app (HTTP and WebSocket), and the Flask decorators. Each answers a weak or old
sign-in with 403 ``insufficient_user_authentication`` and RFC 9470's challenge.

Tokens are signed by ``jotauth.jose`` and served from the JWKS endpoint; PyJWT verifies the
hostile ones independently, so each refusal is the step-up check's and not a broken token.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from fastapi import Depends, FastAPI
from flask import Flask, jsonify
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from jotauth.guard import JWTAuthMiddleware, require_amr, require_recent_auth
from jotauth.guard import fastapi as guard_fastapi
from jotauth.guard import flask as guard_flask
from jotauth.verify import JWKSClient, SyncJWKSClient, TokenVerifier
from tests.integration.guard.guard_harness import AUDIENCE, ISSUER, served, served_wsgi
from tests.support.problems import assert_problem, challenge
from tests.support.tokens import Mint, bearer

CODE = "insufficient_user_authentication"
MAX_AGE = 300


def fastapi_app(jwks_url: str) -> FastAPI:
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=JWKSClient(jwks_url))
    app = FastAPI()
    guard_fastapi.install_problem_handler(app)
    check = guard_fastapi.JWTBearer(verifier=verifier)

    @app.get("/api/mfa", dependencies=[Depends(guard_fastapi.require_amr("mfa"))])
    async def mfa() -> dict[str, bool]:
        return {"ok": True}

    @app.get(
        "/api/recent", dependencies=[Depends(guard_fastapi.require_recent_auth(max_age=MAX_AGE))]
    )
    async def recent() -> dict[str, bool]:
        return {"ok": True}

    @app.get(
        "/api/key",
        dependencies=[Depends(guard_fastapi.require_amr("hwk", "swk", match="any"))],
    )
    async def key() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/api/admin/report")  # the middleware's step_up prefix
    async def report() -> dict[str, bool]:
        return {"ok": True}

    # Per route, without the middleware (outside its prefix).
    @app.get("/bearer/mfa", dependencies=[Depends(check.require_amr("mfa"))])
    async def bearer_mfa() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/bearer/recent", dependencies=[Depends(check.require_recent_auth(max_age=MAX_AGE))])
    async def bearer_recent() -> dict[str, bool]:
        return {"ok": True}

    app.add_middleware(
        JWTAuthMiddleware,
        verifier=verifier,
        protect=("/api",),
        step_up={"/api/admin": require_amr("mfa") & require_recent_auth(max_age=MAX_AGE)},
    )
    return app


def starlette_app(jwks_url: str) -> Any:
    """No FastAPI: the middleware alone decides, by path prefix."""
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=JWKSClient(jwks_url))

    async def ok(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "sub": request.user.sub})

    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"sub": websocket.scope["user"].sub})
        await websocket.close()

    app = Starlette(
        routes=[
            Route("/api/mfa", ok),
            Route("/api/recent", ok),
            Route("/api/key", ok),
            Route("/api/public/mfa", ok),
            Route("/api/plain", ok),
            WebSocketRoute("/api/mfa/ws", ws),
        ]
    )
    return JWTAuthMiddleware(
        app,
        verifier=verifier,
        protect=("/api",),
        exclude=("/api/public",),
        step_up={
            "/api/mfa": require_amr("mfa"),
            "/api/recent": require_recent_auth(max_age=MAX_AGE),
            "/api/key": require_amr("hwk", "swk", match="any"),
            # Under an exclusion: the requirement still protects it.
            "/api/public/mfa": require_amr("mfa"),
        },
    )


def flask_app(jwks_url: str) -> Flask:
    app = Flask(__name__)
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=SyncJWKSClient(jwks_url))
    guard_flask.JotAuth(app, verifier=verifier)

    @app.get("/api/mfa")
    @guard_flask.require_amr("mfa")
    def mfa():
        return jsonify(ok=True, sub=guard_flask.current_user.sub)

    @app.get("/api/recent")
    @guard_flask.jwt_required(scopes=("lessons:read",))
    @guard_flask.require_recent_auth(max_age=MAX_AGE)
    def recent():
        return jsonify(ok=True)

    @app.get("/api/key")
    @guard_flask.require_amr("hwk", "swk", match="any")
    def key():
        return jsonify(ok=True)

    return app


@pytest.fixture(scope="module")
def fastapi_url(jwks_url: str) -> Iterator[str]:
    with served(fastapi_app(jwks_url)) as server:
        yield server.url


@pytest.fixture(scope="module")
def starlette_url(jwks_url: str) -> Iterator[str]:
    with served(starlette_app(jwks_url)) as server:
        yield server.url


@pytest.fixture(scope="module")
def flask_url(jwks_url: str) -> Iterator[str]:
    with served_wsgi(flask_app(jwks_url)) as url:
        yield url


@pytest.fixture(params=["fastapi", "starlette", "flask"])
def app_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


def get(url: str, token: str | None = None) -> httpx.Response:
    return httpx.get(url, headers=bearer(token) if token else {}, timeout=10)


def assert_step_up(response: httpx.Response, *, max_age: int | None) -> str:
    body = assert_problem(response, 403, CODE)
    header = challenge(response)
    assert header.startswith(f'Bearer realm="jotauth", error="{CODE}", error_description="')
    assert body["detail"] in header
    if max_age is None:
        assert "max_age" not in header
    else:
        assert header.endswith(f', max_age="{max_age}"')
    assert "acr_values" not in header
    return str(body["detail"])


def independently_valid(token: str, jwks_url: str) -> dict[str, Any]:
    """PyJWT's reading of ``token``: signature, iss, aud and exp all fine."""
    key = pyjwt.PyJWKClient(jwks_url).get_signing_key_from_jwt(token)
    claims: dict[str, Any] = pyjwt.decode(
        token, key, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER
    )
    return claims


# --- the same behaviour in every integration ----------------------------------------------------


def test_mfa_token_passes_and_password_only_is_refused_without_max_age(app_url, mint: Mint):
    assert get(app_url + "/api/mfa", mint.token(amr=["pwd", "otp", "mfa"])).json()["ok"] is True
    detail = assert_step_up(get(app_url + "/api/mfa", mint.token(amr=["pwd"])), max_age=None)
    assert "mfa" in detail


def test_no_token_is_still_401_not_a_step_up(app_url):
    assert get(app_url + "/api/mfa").status_code == 401


def test_recent_sign_in_passes_and_an_old_one_gets_max_age(app_url, mint: Mint):
    now = int(time.time())
    assert get(app_url + "/api/recent", mint.token(auth_time=now - 60)).status_code == 200
    old = get(app_url + "/api/recent", mint.token(auth_time=now - MAX_AGE - 120))
    assert "300 seconds" in assert_step_up(old, max_age=MAX_AGE)


def test_any_of_amr(app_url, mint: Mint):
    assert get(app_url + "/api/key", mint.token(amr=["swk", "mfa"])).status_code == 200
    assert_step_up(get(app_url + "/api/key", mint.token(amr=["otp", "mfa"])), max_age=None)


@pytest.mark.parametrize(
    ("path", "hostile", "max_age"),
    [
        ("/api/mfa", {"amr": "mfa"}, None),  # a string, not an array
        ("/api/mfa", {"amr": ["mfa", 7]}, None),
        ("/api/mfa", {}, None),  # no amr at all
        ("/api/recent", {"auth_time": "now"}, MAX_AGE),
        ("/api/recent", {"auth_time": str(int(time.time()))}, MAX_AGE),
        ("/api/recent", {"auth_time": True}, MAX_AGE),
        ("/api/recent", {"auth_time": int(time.time()) + 3600}, MAX_AGE),  # in the future
        ("/api/recent", {}, MAX_AGE),  # no auth_time at all
    ],
)
def test_hostile_or_missing_claims_never_pass(
    app_url, mint: Mint, jwks_url: str, path: str, hostile: dict[str, Any], max_age: int | None
):
    token = mint.token(**hostile)
    claims = independently_valid(token, jwks_url)
    for name, value in hostile.items():
        assert claims[name] == value  # what PyJWT reads is exactly the hostile claim
    assert_step_up(get(app_url + path, token), max_age=max_age)


# --- what only some integrations have -----------------------------------------------------------


def test_fastapi_middleware_prefix_combines_amr_and_recency(fastapi_url, mint: Mint):
    now = int(time.time())
    url = fastapi_url + "/api/admin/report"
    assert get(url, mint.token(amr=["pwd", "otp", "mfa"], auth_time=now)).status_code == 200
    # Either missing: the client learns both needs (max_age included) in one answer.
    assert_step_up(get(url, mint.token(amr=["pwd"], auth_time=now)), max_age=MAX_AGE)
    assert_step_up(get(url, mint.token(amr=["mfa"], auth_time=now - 3600)), max_age=MAX_AGE)


def test_fastapi_jwt_bearer_checks_without_the_middleware(fastapi_url, mint: Mint):
    now = int(time.time())
    assert get(fastapi_url + "/bearer/mfa", mint.token(amr=["mfa"])).status_code == 200
    assert_step_up(get(fastapi_url + "/bearer/mfa", mint.token(amr="mfa")), max_age=None)
    assert get(fastapi_url + "/bearer/recent", mint.token(auth_time=now)).status_code == 200
    assert_step_up(
        get(fastapi_url + "/bearer/recent", mint.token(auth_time=now - 3600)), max_age=MAX_AGE
    )
    assert get(fastapi_url + "/bearer/mfa").status_code == 401


def test_a_step_up_prefix_under_an_exclusion_is_still_protected(starlette_url, mint: Mint):
    assert get(starlette_url + "/api/public/mfa").status_code == 401
    assert_step_up(get(starlette_url + "/api/public/mfa", mint.token(amr=["pwd"])), max_age=None)
    assert get(starlette_url + "/api/public/mfa", mint.token(amr=["mfa"])).status_code == 200


def test_other_spellings_of_a_step_up_path_are_covered(starlette_url, mint: Mint):
    for path in ("/API/mfa", "/api/MFA"):
        response = get(starlette_url + path, mint.token(amr=["pwd"]))
        assert response.status_code == 403, path


def test_paths_without_a_requirement_need_only_a_valid_token(starlette_url, mint: Mint):
    assert get(starlette_url + "/api/plain", mint.token()).json()["sub"] == "user-1"


def test_websocket_under_a_step_up_prefix_is_closed_1008(starlette_url, mint: Mint):
    url = starlette_url.replace("http://", "ws://") + "/api/mfa/ws"
    with ws_connect(url, additional_headers=bearer(mint.token(amr=["mfa"], sub="ws"))) as conn:
        assert conn.recv(timeout=10) == '{"sub":"ws"}'
    refused = bearer(mint.token(amr=["pwd"]))
    with ws_connect(url, additional_headers=refused) as conn, pytest.raises(ConnectionClosed):
        conn.recv(timeout=10)
    assert conn.close_code == 1008 and conn.close_reason == CODE
