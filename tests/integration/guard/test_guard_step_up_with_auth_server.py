"""Step-up with the tokens a real ``jotauth serve`` issues: a password sign-in (``amr``
``["pwd"]``) is refused where ``mfa`` is needed, the same account after its TOTP second step
(codes from ``oathtool``) is let in, and an ``auth_time`` older than ``max_age`` on the
guard's clock gets RFC 9470's challenge. PyJWT reads the claims independently."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from fastapi import Depends, FastAPI

from jotauth.guard import JWTAuthMiddleware, require_amr
from jotauth.guard.fastapi import install_problem_handler, require_recent_auth
from jotauth.verify import JWKSClient, TokenVerifier
from tests.integration.guard.guard_harness import AUDIENCE, AuthServer, ServedApp, served
from tests.support.otp import enrol_totp, oathtool_code
from tests.support.problems import assert_problem

# The test server's access tokens live 60 s: the second app's clock runs 40 s ahead, past
# its recent_auth max_age of 30 s, not past exp.
LATER = 40
MAX_AGE = 30


def step_up_app(auth_server: AuthServer, *, ahead: float = 0) -> FastAPI:
    verifier = TokenVerifier(
        issuer=auth_server.url,
        audience=AUDIENCE,
        keys=JWKSClient(f"{auth_server.url}/.well-known/jwks.json"),
        leeway=0,
        clock=lambda: time.time() + ahead,
    )
    app = FastAPI()
    install_problem_handler(app)

    @app.get("/api/admin/report")
    async def report() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/api/recent", dependencies=[Depends(require_recent_auth(max_age=MAX_AGE))])
    async def recent() -> dict[str, bool]:
        return {"ok": True}

    app.add_middleware(
        JWTAuthMiddleware,
        verifier=verifier,
        protect=("/api",),
        step_up={"/api/admin": require_amr("mfa")},
    )
    return app


@pytest.fixture(scope="module")
def guarded(auth_server: AuthServer) -> Iterator[ServedApp]:
    with served(step_up_app(auth_server)) as server:
        yield server


@pytest.fixture(scope="module")
def guarded_later(auth_server: AuthServer) -> Iterator[ServedApp]:
    with served(step_up_app(auth_server, ahead=LATER)) as server:
        yield server


def _post(auth_server: AuthServer, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{auth_server.url}{path}", json=body, timeout=30)


def _claims(auth_server: AuthServer, token: str) -> dict[str, Any]:
    jwks = pyjwt.PyJWKClient(f"{auth_server.url}/.well-known/jwks.json")
    key = jwks.get_signing_key_from_jwt(token)
    claims: dict[str, Any] = pyjwt.decode(
        token, key, algorithms=["RS256"], audience=AUDIENCE, issuer=auth_server.url
    )
    return claims


def _get(server: ServedApp, path: str, token: str) -> httpx.Response:
    return httpx.get(server.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_a_password_token_is_refused_where_mfa_is_needed_and_a_second_step_one_passes(
    auth_server: AuthServer, guarded: ServedApp
) -> None:
    email = f"stepup-{secrets.token_hex(4)}@example.org"
    password = AuthServer.PASSWORD
    signed_up = _post(
        auth_server,
        "/api/auth/signup",
        {"email": email, "password": password, "delivery": "body"},
    )
    assert signed_up.status_code == 200, signed_up.text
    password_only = signed_up.json()["access_token"]
    assert _claims(auth_server, password_only)["amr"] == ["pwd"]
    refused = _get(guarded, "/api/admin/report", password_only)
    assert_problem(refused, 403, "insufficient_user_authentication")
    assert "max_age" not in refused.headers["www-authenticate"]
    assert _get(guarded, "/api/recent", password_only).status_code == 200

    secret, _ = enrol_totp(auth_server.url, password_only)
    first = _post(
        auth_server, "/api/auth/login", {"email": email, "password": password, "delivery": "body"}
    )
    assert first.status_code == 200 and first.json()["mfa_required"] is True, first.text
    second = _post(
        auth_server,
        "/api/auth/login/mfa",
        {
            "mfa_token": first.json()["mfa_token"],
            "method": "totp",
            "code": oathtool_code(secret, time.time() + 30),
        },
    )
    assert second.status_code == 200, second.text
    two_factors = second.json()["access_token"]
    claims = _claims(auth_server, two_factors)
    assert "mfa" in claims["amr"] and "otp" in claims["amr"]
    assert isinstance(claims["auth_time"], int) and claims["auth_time"] <= time.time() + 1
    assert _get(guarded, "/api/admin/report", two_factors).json() == {"ok": True}


def test_an_auth_time_older_than_max_age_on_the_guards_clock_gets_the_challenge(
    auth_server: AuthServer, guarded_later: ServedApp
) -> None:
    token = auth_server.signup(delivery="body").json()["access_token"]
    refused = _get(guarded_later, "/api/recent", token)
    assert_problem(refused, 403, "insufficient_user_authentication")
    assert refused.headers["www-authenticate"].endswith(f', max_age="{MAX_AGE}"')
