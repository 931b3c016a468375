"""Silent refresh against a real ``jotauth serve``: an expired or missing access cookie plus
the refresh cookie gets a new access cookie; a failed refresh clears the refresh cookie."""

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from jotauth.guard import CsrfPolicy, HttpRefresh, SilentRefresh
from tests.integration.guard.guard_apps import guarded_test_app
from tests.integration.guard.guard_harness import (
    AuthServer,
    ServedApp,
    served,
)
from tests.support.cookies import cookie_header, set_cookies
from tests.support.ports import free_port

ACCESS = "__Host-jot_access"
REFRESH = "__Host-jot_refresh"


class SkewableClock:
    """Wall clock that can jump ahead for exactly the next reading (an expired token)."""

    def __init__(self) -> None:
        self.pending_skew = 0.0

    def expire_next_token(self) -> None:
        self.pending_skew = 3600.0

    def __call__(self) -> float:
        skew, self.pending_skew = self.pending_skew, 0.0
        return time.time() + skew


def silent_refresh_for(refresh_url: str) -> SilentRefresh:
    return SilentRefresh(
        HttpRefresh(refresh_url, access_cookie_name=ACCESS, refresh_cookie_name=REFRESH),
        refresh_cookie_name=REFRESH,
        access_cookie_name=ACCESS,
    )


def refreshing_app(auth_server: AuthServer, clock=time.time, silent_refresh=None):
    return guarded_test_app(
        f"{auth_server.url}/.well-known/jwks.json",
        issuer=auth_server.url,
        cookie_name=ACCESS,
        csrf=CsrfPolicy(secret=AuthServer.SECRET_KEY.encode()),
        silent_refresh=silent_refresh or silent_refresh_for(f"{auth_server.url}/api/auth/refresh"),
        clock=clock,
    )


@pytest.fixture(scope="module")
def clock() -> SkewableClock:
    return SkewableClock()


@pytest.fixture(scope="module")
def guarded_by_auth(auth_server: AuthServer, clock: SkewableClock) -> Iterator[ServedApp]:
    with served(refreshing_app(auth_server, clock)) as server:
        yield server


def login(auth_server: AuthServer) -> dict[str, str]:
    return set_cookies(auth_server.signup(delivery="cookie"))


def test_missing_access_cookie_with_a_refresh_cookie_is_refreshed(auth_server, guarded_by_auth):
    jar = login(auth_server)
    without_access = {REFRESH: jar[REFRESH], "XSRF-TOKEN": jar["XSRF-TOKEN"]}
    response = httpx.get(
        guarded_by_auth.url + "/api/whoami", headers={"Cookie": cookie_header(without_access)}
    )
    assert response.status_code == 200, response.text
    renewed = set_cookies(response)
    assert renewed[ACCESS] and renewed[ACCESS] != jar[ACCESS]
    assert renewed[REFRESH] and renewed[REFRESH] != jar[REFRESH]  # rotated by the server
    assert response.headers["cache-control"] == "no-store"
    # The new access cookie works on its own.
    again = httpx.get(
        guarded_by_auth.url + "/api/whoami", headers={"Cookie": f"{ACCESS}={renewed[ACCESS]}"}
    )
    assert again.status_code == 200
    assert again.json()["sub"] == response.json()["sub"]


def test_expired_access_cookie_with_a_refresh_cookie_is_refreshed(
    auth_server, guarded_by_auth, clock
):
    jar = login(auth_server)
    clock.expire_next_token()
    response = httpx.get(
        guarded_by_auth.url + "/api/whoami", headers={"Cookie": cookie_header(jar)}
    )
    assert response.status_code == 200, response.text
    assert set_cookies(response)[ACCESS] != jar[ACCESS]


def test_expired_access_cookie_without_a_refresh_cookie_is_401(auth_server, guarded_by_auth, clock):
    jar = login(auth_server)
    clock.expire_next_token()
    response = httpx.get(
        guarded_by_auth.url + "/api/whoami", headers={"Cookie": f"{ACCESS}={jar[ACCESS]}"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "expired"


def test_refreshed_unsafe_request_still_needs_the_session_bound_xsrf_header(
    auth_server, guarded_by_auth
):
    jar = login(auth_server)
    cookies = cookie_header({REFRESH: jar[REFRESH], "XSRF-TOKEN": jar["XSRF-TOKEN"]})
    refused = httpx.post(guarded_by_auth.url + "/api/items", headers={"Cookie": cookies})
    assert refused.status_code == 403
    assert "set-cookie" not in refused.headers  # refused before anything was rotated
    allowed = httpx.post(
        guarded_by_auth.url + "/api/items",
        headers={"Cookie": cookies, "X-XSRF-TOKEN": jar["XSRF-TOKEN"]},
    )
    assert allowed.status_code == 201, allowed.text
    assert set_cookies(allowed)[ACCESS]


def test_failed_refresh_clears_the_refresh_cookie_and_answers_401(auth_server, guarded_by_auth):
    response = httpx.get(
        guarded_by_auth.url + "/api/whoami",
        headers={"Cookie": f"{REFRESH}=not-a-real-refresh-token; XSRF-TOKEN=x"},
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    cleared = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{REFRESH}=;")]
    assert cleared and "Max-Age=0" in cleared[0] and "Path=/" in cleared[0]


def test_refresh_after_logout_is_401_and_clears_the_cookie(auth_server, guarded_by_auth):
    jar = login(auth_server)
    logout = httpx.post(
        auth_server.url + "/api/auth/logout",
        headers={"Cookie": cookie_header(jar), "X-XSRF-TOKEN": jar["XSRF-TOKEN"]},
    )
    assert logout.status_code == 204
    response = httpx.get(
        guarded_by_auth.url + "/api/whoami",
        headers={"Cookie": cookie_header({REFRESH: jar[REFRESH], "XSRF-TOKEN": jar["XSRF-TOKEN"]})},
    )
    assert response.status_code == 401
    assert set_cookies(response).get(REFRESH) == ""


async def test_concurrent_requests_with_one_refresh_cookie_share_one_refresh(
    auth_server, guarded_by_auth
):
    jar = login(auth_server)
    cookies = cookie_header({REFRESH: jar[REFRESH], "XSRF-TOKEN": jar["XSRF-TOKEN"]})
    async with httpx.AsyncClient(base_url=guarded_by_auth.url, timeout=30) as http:
        responses = await asyncio.gather(
            *(http.get("/api/whoami", headers={"Cookie": cookies}) for _ in range(8))
        )
    assert [r.status_code for r in responses] == [200] * 8
    # One refresh: every response hands on the same rotated cookies.
    assert len({set_cookies(r)[REFRESH] for r in responses}) == 1
    assert len({set_cookies(r)[ACCESS] for r in responses}) == 1


def test_auth_server_unreachable_is_503_and_keeps_the_cookies(auth_server):
    dead = f"http://127.0.0.1:{free_port()}/api/auth/refresh"
    app = refreshing_app(auth_server, silent_refresh=silent_refresh_for(dead))
    jar = login(auth_server)
    with served(app) as server:
        response = httpx.get(
            server.url + "/api/whoami",
            headers={"Cookie": cookie_header({REFRESH: jar[REFRESH], "XSRF-TOKEN": "x"})},
        )
    assert response.status_code == 503
    assert response.json()["code"] == "refresh_unavailable"
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("planted", [b"\xc3\xa9", b"a\\b", b"a b"])
def test_refresh_cookie_that_is_not_cookie_octets_is_a_plain_401(guarded_by_auth, planted):
    # What a sibling subdomain can plant under a parent-domain cookie (RFC 6265 §8.6).
    response = httpx.get(
        guarded_by_auth.url + "/api/whoami",
        headers={"Cookie": f"{REFRESH}=".encode() + planted},
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "missing_token"


def test_non_ascii_xsrf_cookie_next_to_a_valid_refresh_cookie_is_never_a_500(
    auth_server, guarded_by_auth
):
    jar = login(auth_server)
    response = httpx.get(
        guarded_by_auth.url + "/api/whoami",
        headers={"Cookie": f"{REFRESH}={jar[REFRESH]}; XSRF-TOKEN=".encode() + b"\xc3\xa9"},
    )
    # Not forwarded, so the auth server refuses the refresh (403 csrf_failed) for want of the
    # double submit. That code means "403" everywhere, so the guard does not pass it on under
    # its 401: the session could not be refreshed, whatever the reason.
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "refresh_failed"
