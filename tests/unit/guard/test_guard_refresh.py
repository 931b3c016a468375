"""SilentRefresh single flight and HttpRefresh's request and response handling."""

import asyncio

import httpx
import pytest

from jotauth.guard import (
    HttpRefresh,
    RefreshFailed,
    RefreshResult,
    RefreshUnavailable,
    SilentRefresh,
)
from tests.support.clock import SettableClock

ACCESS, REFRESH = "__Host-jot_access", "__Host-jot_refresh"


class CountingRefresh:
    def __init__(self, outcome: Exception | None = None) -> None:
        self.calls = 0
        self.outcome = outcome

    async def __call__(self, refresh_token: str, csrf: str | None) -> RefreshResult:
        self.calls += 1
        await asyncio.sleep(0.01)
        if self.outcome is not None:
            raise self.outcome
        return RefreshResult(f"access-{self.calls}", (b"a=1",))


async def test_concurrent_refreshes_of_one_token_share_one_call():
    backend = CountingRefresh()
    refresher = SilentRefresh(backend)
    results = await asyncio.gather(*(refresher.refresh("rt", "x") for _ in range(20)))
    assert backend.calls == 1
    assert {r.access_token for r in results} == {"access-1"}


async def test_a_result_is_reused_within_the_window_then_forgotten():
    backend, clock = CountingRefresh(), SettableClock(1000.0)
    refresher = SilentRefresh(backend, reuse_window=5, clock=clock)
    await refresher.refresh("rt", None)
    clock.now += 4
    assert (await refresher.refresh("rt", None)).access_token == "access-1"
    clock.now += 2
    assert (await refresher.refresh("rt", None)).access_token == "access-2"


async def test_different_refresh_tokens_refresh_separately():
    backend = CountingRefresh()
    refresher = SilentRefresh(backend)
    await asyncio.gather(refresher.refresh("a", None), refresher.refresh("b", None))
    assert backend.calls == 2


async def test_failures_are_shared_by_concurrent_callers_but_not_remembered():
    backend = CountingRefresh(RefreshFailed(code="session_revoked"))
    refresher = SilentRefresh(backend)
    outcomes = await asyncio.gather(
        *(refresher.refresh("rt", None) for _ in range(5)), return_exceptions=True
    )
    assert backend.calls == 1
    assert all(isinstance(o, RefreshFailed) for o in outcomes)
    with pytest.raises(RefreshFailed):
        await refresher.refresh("rt", None)
    assert backend.calls == 2


def test_clearing_cookies_match_the_cookie_paths_and_prefix_rules():
    refresher = SilentRefresh(
        CountingRefresh(),
        refresh_cookie_name="jot_refresh",
        refresh_cookie_path="/api/auth",
        access_cookie_name="jot_access",
        secure=False,
    )
    access, refresh = refresher.clearing_cookies
    assert access.startswith(b"jot_access=; Path=/; Max-Age=0")
    assert refresh.startswith(b"jot_refresh=; Path=/api/auth; Max-Age=0")
    assert b"Secure" not in refresh
    host_prefixed = SilentRefresh(CountingRefresh(), secure=False).clearing_cookies[1]
    assert b"Secure" in host_prefixed  # __Host- cookies are only accepted with Secure


def http_refresh(handler) -> HttpRefresh:
    return HttpRefresh(
        "http://auth.invalid/api/auth/refresh",
        access_cookie_name=ACCESS,
        refresh_cookie_name=REFRESH,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )


async def test_http_refresh_forwards_only_the_refresh_and_xsrf_cookies():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            204,
            headers=[
                ("set-cookie", f"{ACCESS}=new-access; Path=/; HttpOnly"),
                ("set-cookie", f"{REFRESH}=new-refresh; Path=/; HttpOnly"),
            ],
        )

    result = await http_refresh(handler)("rt-value", "xsrf-value")
    assert result.access_token == "new-access"
    assert len(result.set_cookies) == 2
    (request,) = seen
    assert request.method == "POST"
    assert request.headers["cookie"] == f"{REFRESH}=rt-value; XSRF-TOKEN=xsrf-value"
    assert request.headers["x-xsrf-token"] == "xsrf-value"
    assert "authorization" not in request.headers


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (401, RefreshFailed, "session_expired"),
        (403, RefreshFailed, "session_expired"),
        (503, RefreshUnavailable, "refresh_unavailable"),
        (429, RefreshUnavailable, "refresh_unavailable"),
    ],
)
async def test_http_refresh_maps_the_auth_servers_answer(status, error, code):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"code": "session_expired"})

    with pytest.raises(error) as raised:
        await http_refresh(handler)("rt", None)
    assert raised.value.reported_code == code


async def test_http_refresh_without_an_access_cookie_is_unavailable_not_a_crash():
    with pytest.raises(RefreshUnavailable):
        await http_refresh(lambda request: httpx.Response(204))("rt", None)


async def test_http_refresh_transport_error_is_unavailable():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(RefreshUnavailable):
        await http_refresh(handler)("rt", None)


@pytest.mark.parametrize(
    ("refresh_token", "csrf"), [("\xe9", None), ("rt", "\xe9t\xe9"), ("a\x00b", None), ("a;b", "x")]
)
async def test_http_refresh_refuses_values_that_cannot_be_cookies_before_any_request(
    refresh_token, csrf
):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with pytest.raises(RefreshFailed):
        await http_refresh(handler)(refresh_token, csrf)
    assert seen == []
