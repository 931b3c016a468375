"""Silent refresh through a local callable (the co-hosted case), driven over ASGI."""

import asyncio
import time

import httpx
import pytest

from jotauth.guard import (
    HttpRefresh,
    JWTAuthMiddleware,
    RefreshFailed,
    RefreshResult,
    SilentRefresh,
)
from jotauth.jose import Key, KeySet, encode
from jotauth.verify import TokenVerifier

KEY = Key.generate("EdDSA", kid="k")
VERIFIER = TokenVerifier(
    issuer="iss", audience="aud", keys=KeySet([KEY.public_key()]), algorithms=("EdDSA",)
)


def fresh_token(sub: str) -> str:
    now = int(time.time())
    claims = {"iss": "iss", "sub": sub, "aud": "aud", "iat": now, "exp": now + 60, "sid": "s"}
    return encode(claims, KEY)


async def echo_user(scope, receive, send):
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"x-sub", scope["user"].sub.encode())],
        }
    )
    await send({"type": "http.response.body", "body": b""})


def run(middleware, headers, method="GET"):
    messages = []

    async def send(message):
        messages.append(message)

    scope = {"type": "http", "method": method, "path": "/api/x", "headers": headers}
    asyncio.run(middleware(scope, None, send))
    start = messages[0]
    return start["status"], start["headers"]


def guarded(refresh) -> JWTAuthMiddleware:
    return JWTAuthMiddleware(
        echo_user,
        verifier=VERIFIER,
        cookie_name="jot_access",
        silent_refresh=SilentRefresh(
            refresh,
            refresh_cookie_name="jot_refresh",
            access_cookie_name="jot_access",
            secure=False,
        ),
    )


def test_local_refresh_callable_renews_a_missing_access_cookie():
    seen = []

    async def refresh(refresh_token, xsrf):
        seen.append((refresh_token, xsrf))
        token = fresh_token("renewed")
        return RefreshResult(token, (f"jot_access={token}; Path=/; HttpOnly".encode(),))

    status, headers = run(guarded(refresh), [(b"cookie", b"jot_refresh=rt-1; XSRF-TOKEN=x1")])
    assert status == 200
    assert (b"x-sub", b"renewed") in headers
    assert any(n == b"set-cookie" and v.startswith(b"jot_access=") for n, v in headers)
    assert (b"cache-control", b"no-store") in headers
    assert seen == [("rt-1", "x1")]


def test_refused_local_refresh_is_401_and_clears_both_cookies():
    async def refresh(refresh_token, xsrf):
        raise RefreshFailed(code="session_revoked")

    status, headers = run(guarded(refresh), [(b"cookie", b"jot_refresh=rt-2")])
    assert status == 401
    cleared = sorted(v.split(b";", 1)[0] for n, v in headers if n == b"set-cookie")
    assert cleared == [b"jot_access=", b"jot_refresh="]


def test_bearer_requests_never_trigger_a_refresh():
    calls = []

    async def refresh(refresh_token, xsrf):
        calls.append(refresh_token)
        raise AssertionError("must not be called")

    expired = encode({"iss": "iss", "sub": "u", "aud": "aud", "iat": 1, "exp": 2}, KEY)
    status, _ = run(
        guarded(refresh),
        [(b"authorization", f"Bearer {expired}".encode()), (b"cookie", b"jot_refresh=rt")],
    )
    assert status == 401
    assert calls == []


def guarded_over_http(handler) -> JWTAuthMiddleware:
    """The guard with HttpRefresh to a mock auth server (``handler`` sees every request)."""
    refresh = HttpRefresh(
        "http://auth.invalid/api/auth/refresh",
        access_cookie_name="jot_access",
        refresh_cookie_name="jot_refresh",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    return guarded(refresh)


def renewing(seen: list[httpx.Request]):
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        token = fresh_token("renewed")
        return httpx.Response(204, headers=[("set-cookie", f"jot_access={token}; Path=/")])

    return handler


@pytest.mark.parametrize(
    "refresh_cookie",
    [b"\xc3\xa9", b"\xe9", b"a b", b"a,b", b"a\\b", b'a"b', b"a\x01b", b"a\x7f", b"rt\xff"],
)
def test_refresh_cookie_that_is_not_cookie_octets_counts_as_no_refresh_cookie(refresh_cookie):
    seen: list[httpx.Request] = []
    status, headers = run(
        guarded_over_http(renewing(seen)), [(b"cookie", b"jot_refresh=" + refresh_cookie)]
    )
    assert status == 401
    assert (b"content-type", b"application/problem+json") in headers
    assert seen == []  # nothing was built from it, nothing reached the auth server


def test_xsrf_cookie_that_is_not_cookie_octets_is_not_forwarded_to_the_auth_server():
    seen: list[httpx.Request] = []
    status, headers = run(
        guarded_over_http(renewing(seen)),
        [(b"cookie", b"jot_refresh=rt-ok; XSRF-TOKEN=\xc3\xa9t\xc3\xa9")],
    )
    assert status == 200
    assert (b"x-sub", b"renewed") in headers
    (request,) = seen
    assert request.headers["cookie"] == "jot_refresh=rt-ok"
    assert "x-xsrf-token" not in request.headers


def test_refresh_set_cookies_are_handed_on_as_raw_bytes():
    token = fresh_token("renewed")
    extra = "theme=caf\u00e9; Path=/".encode()  # not Latin-1 text: passed on untouched

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            204,
            headers=[
                (b"set-cookie", f"jot_access={token}; Path=/".encode()),
                (b"set-cookie", extra),
            ],
        )

    status, headers = run(guarded_over_http(handler), [(b"cookie", b"jot_refresh=rt-ok")])
    assert status == 200
    assert (b"set-cookie", extra) in headers
