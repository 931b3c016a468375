"""A guard that opts in refuses the access tokens of a session the auth server ended, within
2 s (issue 10 item 9): a real ``jotauth serve`` over HTTP, a guarded Starlette app that polls
its revocation feed, and the session ended by logout, logout-all and an admin revoke."""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jotauth import jose
from jotauth.guard import JWTAuthMiddleware
from jotauth.guard.revocations import PolledRevocations
from jotauth.verify import JWKSClient, TokenVerifier
from tests.e2e.server.server_process import PASSWORD, ServerProcess, running_server, signup

DEADLINE = 2.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir: Path = tmp_path_factory.mktemp("fanout")
    with running_server(f"sqlite+aiosqlite:///{workdir}/jotauth.db", workdir) as running:
        yield running


@pytest.fixture
async def guarded(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async def lessons(request: Request) -> JSONResponse:
        return JSONResponse({"sub": request.user.identity})

    revocations = PolledRevocations(f"{server.url}/.well-known/jotauth-revocations")
    await revocations.start()
    verifier = TokenVerifier(
        issuer=server.url,
        audience="lessons",
        keys=JWKSClient(f"{server.url}/.well-known/jwks.json"),
        algorithms=("RS256",),
    )
    app = JWTAuthMiddleware(
        Starlette(routes=[Route("/api/lessons", lessons)]),
        verifier=verifier,
        revocations=revocations,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client
    await revocations.aclose()


async def _token(server: ServerProcess, email: str) -> str:
    async with httpx.AsyncClient(base_url=server.url) as http:
        login = await http.post(
            "/api/auth/login", json={"email": email, "password": PASSWORD, "delivery": "body"}
        )
        return str(login.json()["access_token"])


async def _refused_within(guarded: httpx.AsyncClient, token: str) -> float:
    started = time.monotonic()
    while True:
        response = await guarded.get("/api/lessons", headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 401:
            assert response.json()["code"] == "session_ended"
            return time.monotonic() - started
        assert response.status_code == 200
        assert time.monotonic() - started < DEADLINE, "the guard still accepts the token"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("ending", ["logout", "logout-all", "admin revoke"])
async def test_an_ended_sessions_access_token_is_refused_by_the_guard_within_two_seconds(
    server: ServerProcess, guarded: httpx.AsyncClient, ending: str
) -> None:
    email = f"fanout-{ending.replace(' ', '-')}@example.org"
    await signup(server.url, email)
    token = await _token(server, email)
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await guarded.get("/api/lessons", headers=bearer)).status_code == 200
    async with httpx.AsyncClient(base_url=server.url) as http:
        if ending == "admin revoke":
            sid = (await http.get("/api/auth/sessions", headers=bearer)).json()["sessions"][0]
            result = await asyncio.to_thread(server.cli, "sessions", "revoke", sid["id"])
            assert result.returncode == 0, result.stderr
        else:
            path = "/api/auth/logout" if ending == "logout" else "/api/auth/logout-all"
            assert (await http.post(path, headers=bearer)).status_code == 204
    await _refused_within(guarded, token)
    # Another session of another user is untouched.
    await signup(server.url, f"bystander-{ending.replace(' ', '-')}@example.org")
    other = await _token(server, f"bystander-{ending.replace(' ', '-')}@example.org")
    response = await guarded.get("/api/lessons", headers={"Authorization": f"Bearer {other}"})
    assert response.status_code == 200


async def test_a_revoked_signing_key_is_dropped_by_the_guard_within_two_seconds(
    tmp_path: Path,
) -> None:
    """``jotauth keys revoke``: the guard's JWKS cache would keep the key for its max-age (600 s
    here); the feed makes it drop the key, and refuse tokens it signed, within 2 s."""
    url = f"sqlite+aiosqlite:///{tmp_path}/jotauth.db"
    with running_server(url, tmp_path, JOTAUTH_JWKS_MAX_AGE="600") as server:
        await signup(server.url, "keys@example.org")
        token = await _token(server, "keys@example.org")
        jwks = JWKSClient(f"{server.url}/.well-known/jwks.json")
        feed = f"{server.url}/.well-known/jotauth-revocations"
        revocations = PolledRevocations(feed, keys=jwks)
        await revocations.start()
        verifier = TokenVerifier(
            issuer=server.url, audience="lessons", keys=jwks, algorithms=("RS256",)
        )
        app = JWTAuthMiddleware(
            Starlette(routes=[Route("/api/lessons", _whoami)]),
            verifier=verifier,
            revocations=revocations,
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api.test"
        ) as guarded:
            bearer = {"Authorization": f"Bearer {token}"}
            assert (await guarded.get("/api/lessons", headers=bearer)).status_code == 200
            kid = str(jose.decode_unverified(token)[0]["kid"])
            result = await asyncio.to_thread(server.cli, "keys", "revoke", "--", kid)
            assert result.returncode == 0, result.stderr
            started = time.monotonic()
            while (await guarded.get("/api/lessons", headers=bearer)).status_code == 200:
                assert time.monotonic() - started < DEADLINE, "the revoked key still verifies"
                await asyncio.sleep(0.05)
            refused = await guarded.get("/api/lessons", headers=bearer)
            assert refused.status_code == 401
        await revocations.aclose()
        await jwks.aclose()


async def _whoami(request: Request) -> JSONResponse:
    return JSONResponse({"sub": request.user.identity})
