"""Silent refresh through a local callable (the co-hosted case), driven over ASGI."""

import asyncio
import time

from jotauth.guard import JWTAuthMiddleware, RefreshFailed, RefreshResult, SilentRefresh
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
