"""A guard with its defaults beside ``jotauth serve --dev``: it reads the dev server's
``jot_access`` cookie, and a guard told to expect another name says so in its 401."""

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from jotauth.guard import JWTAuthMiddleware
from jotauth.guard.fastapi import CurrentUser, install_problem_handler
from jotauth.verify import JWKSClient, TokenVerifier
from tests.integration.guard.guard_harness import APP_ORIGIN, AuthServer, ServedApp, served
from tests.support.cookies import cookie_header, set_cookies
from tests.support.ports import free_port
from tests.support.serve import ServerProcess, serve_env, started


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("serve-dev")
    port = free_port()
    env = serve_env(
        f"sqlite+aiosqlite:///{workdir}/jotauth.db",
        port,
        secret_key=AuthServer.SECRET_KEY,
        allowed_origin=APP_ORIGIN,
        JOTAUTH_AUDIENCE="jotauth",  # the dev default, as a new user has it
    )
    # 90 s: a first start generates keys; on a loaded machine 30 s was seen not to be enough
    with started(ServerProcess(env, port, workdir, "--dev"), timeout=90) as server:
        yield server


def api(server: ServerProcess, **options: object) -> FastAPI:
    app = FastAPI()
    install_problem_handler(app)
    verifier = TokenVerifier(
        issuer=server.url,
        audience="jotauth",
        keys=JWKSClient(f"{server.url}/.well-known/jwks.json"),
    )
    app.add_middleware(JWTAuthMiddleware, verifier=verifier, **options)  # type: ignore[arg-type]

    @app.get("/api/me")
    async def me(user: CurrentUser) -> dict[str, str]:
        return {"sub": user.sub}

    return app


@pytest.fixture(scope="module")
def dev_cookies(dev_server: ServerProcess) -> dict[str, str]:
    response = httpx.post(
        f"{dev_server.url}/api/auth/signup",
        json={"email": "dev@example.org", "password": AuthServer.PASSWORD, "delivery": "cookie"},
        timeout=30,
    )
    assert response.status_code == 204, response.text
    jar = set_cookies(response)
    assert "jot_access" in jar and "__Host-jot_access" not in jar  # what --dev sets
    return jar


def test_the_default_guard_reads_the_dev_servers_cookie(
    dev_server: ServerProcess, dev_cookies: dict[str, str]
) -> None:
    with served(api(dev_server)) as app:
        response = httpx.get(f"{app.url}/api/me", headers={"Cookie": cookie_header(dev_cookies)})
    assert response.status_code == 200, response.text


def test_a_guard_expecting_the_prefixed_name_says_which_cookie_it_saw(
    dev_server: ServerProcess, dev_cookies: dict[str, str]
) -> None:
    app_under_test: ServedApp
    with served(api(dev_server, cookie_name="__Host-jot_access")) as app_under_test:
        response = httpx.get(
            f"{app_under_test.url}/api/me", headers={"Cookie": cookie_header(dev_cookies)}
        )
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "missing_token"
    assert "'__Host-jot_access'" in body["detail"] and "'jot_access'" in body["detail"]
    assert response.headers["www-authenticate"] == 'Bearer realm="jotauth"'


def test_without_any_cookie_it_is_the_plain_missing_token(dev_server: ServerProcess) -> None:
    with served(api(dev_server)) as app:
        response = httpx.get(f"{app.url}/api/me")
    assert response.status_code == 401
    assert response.json()["detail"] == "An access token is required."
