"""The lessons API as ``jotauth demo`` loads it (``examples/lessons_api.py:create_app``),
next to a real ``jotauth serve``: cookie login, session-bound CSRF, scopes."""

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jotauth.settings import Settings
from tests.integration.guard.guard_harness import (
    AUDIENCE,
    AuthServer,
    ServedApp,
    served,
)
from tests.support.cookies import cookie_header, set_cookies

LESSONS_API_FILE = Path(__file__).resolve().parents[3] / "examples" / "lessons_api.py"


def load_create_app():
    spec = importlib.util.spec_from_file_location("lessons_api_under_test", LESSONS_API_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.create_app


@pytest.fixture(scope="module")
def lessons_next_to_server(auth_server: AuthServer) -> Iterator[ServedApp]:
    settings = Settings(
        issuer=auth_server.url,
        audience=(AUDIENCE,),
        secret_key=AuthServer.SECRET_KEY,
        database_url="sqlite+aiosqlite:///unused.db",
    )
    with served(load_create_app()(settings)) as server:
        yield server


def test_cookie_login_reads_lessons_through_the_jwks_of_jotauth_serve(
    auth_server, lessons_next_to_server
):
    jar = set_cookies(auth_server.signup(delivery="cookie"))
    response = httpx.get(
        lessons_next_to_server.url + "/api/lessons", headers={"Cookie": cookie_header(jar)}
    )
    assert response.status_code == 200, response.text


def test_the_servers_xsrf_cookie_passes_the_guards_session_binding(
    auth_server, lessons_next_to_server
):
    jar = set_cookies(auth_server.signup(delivery="cookie"))
    headers = {"Cookie": cookie_header(jar), "X-XSRF-TOKEN": jar["XSRF-TOKEN"]}
    response = httpx.post(
        lessons_next_to_server.url + "/api/lessons", json={"title": "x"}, headers=headers
    )
    # CSRF passed (same derivation on both sides); the new account lacks lessons:write.
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "insufficient_scope"
    other = set_cookies(auth_server.signup(delivery="cookie"))
    planted = {**jar, "XSRF-TOKEN": other["XSRF-TOKEN"]}
    refused = httpx.post(
        lessons_next_to_server.url + "/api/lessons",
        json={"title": "x"},
        headers={"Cookie": cookie_header(planted), "X-XSRF-TOKEN": other["XSRF-TOKEN"]},
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"


def test_bearer_token_from_body_delivery_is_accepted(auth_server, lessons_next_to_server):
    token = auth_server.signup(delivery="body").json()["access_token"]
    response = httpx.get(
        lessons_next_to_server.url + "/api/admin/stats",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403  # a fresh account is no admin
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
