"""JWTAuthMiddleware driven directly over ASGI with hostile headers, cookies and paths:
every answer is a deliberate 2xx/4xx, never a 500 or an exception."""

import asyncio
import json
import time
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from jotauth.guard import CsrfPolicy, HttpRefresh, JWTAuthMiddleware, SilentRefresh
from jotauth.jose import Key, KeySet, encode
from jotauth.verify import TokenVerifier

KEY = Key.generate("ES256", kid="k1")
VERIFIER = TokenVerifier(
    issuer="iss", audience="aud", keys=KeySet([KEY.public_key()]), algorithms=("ES256",)
)


def token(**overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": "iss", "sub": "u", "aud": "aud", "iat": now, "exp": now + 60, "sid": "s"}
    claims.update(overrides)
    return encode(claims, KEY)


async def downstream(scope, receive, send):
    user = scope.get("user")
    body = json.dumps({"sub": getattr(user, "sub", None)}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


MIDDLEWARE = JWTAuthMiddleware(
    downstream, verifier=VERIFIER, cookie_name="jot", csrf=CsrfPolicy(secret=b"s" * 32)
)


def auth_server(request: httpx.Request) -> httpx.Response:
    """A mock auth server: renews refresh token ``good``, refuses anything else."""
    if request.headers.get("cookie", "").startswith("jot_refresh=good"):
        renewed = token(sid="s")
        return httpx.Response(204, headers=[("set-cookie", f"jot={renewed}; Path=/")])
    return httpx.Response(401, json={"code": "session_expired"})


REFRESHING = JWTAuthMiddleware(
    downstream,
    verifier=VERIFIER,
    cookie_name="jot",
    csrf=CsrfPolicy(secret=b"s" * 32),
    silent_refresh=SilentRefresh(
        HttpRefresh(
            "http://auth.invalid/api/auth/refresh",
            access_cookie_name="jot",
            refresh_cookie_name="jot_refresh",
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(auth_server)),
        ),
        refresh_cookie_name="jot_refresh",
        access_cookie_name="jot",
        secure=False,
        reuse_window=0,
    ),
)


def call(
    path: str,
    headers: list[tuple[bytes, bytes]],
    method: str = "GET",
    middleware: JWTAuthMiddleware = MIDDLEWARE,
) -> tuple[int, dict]:
    messages: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        messages.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": headers}
    asyncio.run(middleware(scope, receive, send))
    start = messages[0]
    return start["status"], dict(start["headers"])


def test_claims_reach_the_app_and_state():
    captured = {}

    async def app(scope, receive, send):
        captured.update(scope)
        await downstream(scope, receive, send)

    middleware = JWTAuthMiddleware(app, verifier=VERIFIER)
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/x",
        "headers": [(b"authorization", f"Bearer {token()}".encode())],
        "state": {"lifespan_value": 1},
    }
    asyncio.run(middleware(scope, None, lambda message: asyncio.sleep(0)))
    assert captured["user"].sub == "u"
    assert captured["state"] == {"lifespan_value": 1, "user": captured["user"]}


def test_cors_preflight_with_origin_passes_unauthenticated():
    status, _ = call(
        "/api/x",
        [(b"origin", b"https://app.example"), (b"access-control-request-method", b"GET")],
        "OPTIONS",
    )
    assert status == 200


def test_options_with_request_method_but_no_origin_is_no_preflight():
    # Fetch standard §3.2.2: every preflight carries Origin; without it, authenticate.
    status, headers = call("/api/x", [(b"access-control-request-method", b"GET")], "OPTIONS")
    assert status == 401
    assert headers[b"content-type"] == b"application/problem+json"


def test_lifespan_and_unprotected_requests_pass_through_untouched():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    middleware = JWTAuthMiddleware(app, verifier=VERIFIER)
    asyncio.run(middleware({"type": "lifespan"}, None, None))
    asyncio.run(middleware({"type": "http", "path": "/public", "headers": []}, None, None))
    assert seen == ["lifespan", "http"]


text = st.binary(max_size=200)
cookie_pairs = st.lists(
    st.tuples(st.sampled_from(["jot", "XSRF-TOKEN", "x", ""]), st.text(max_size=60)), max_size=4
)


@settings(max_examples=300, deadline=None)
@given(
    authorization=st.lists(st.one_of(text, st.builds(lambda t: b"Bearer " + t, text)), max_size=2),
    cookies=cookie_pairs,
    xsrf=st.one_of(st.none(), text),
    origin=st.one_of(st.none(), text),
    method=st.sampled_from(["GET", "POST", "DELETE", "OPTIONS", "PATCH"]),
    path=st.sampled_from(["/api/x", "//api", "/API", "/api/%2e%2e/x", "/api\x00"]),
)
def test_hostile_requests_get_a_deliberate_answer(
    authorization, cookies, xsrf, origin, method, path
):
    headers = [(b"authorization", value) for value in authorization]
    if cookies:
        cookie = "; ".join(f"{name}={value}" for name, value in cookies)
        headers.append((b"cookie", cookie.encode("utf-8", "surrogatepass")))
    if xsrf is not None:
        headers.append((b"x-xsrf-token", xsrf))
    if origin is not None:
        headers.append((b"origin", origin))
    status, response_headers = call(path, headers, method)
    assert status in (200, 400, 401, 403)
    if status != 200:
        assert response_headers[b"content-type"] == b"application/problem+json"
    if status == 401:
        assert response_headers[b"www-authenticate"].startswith(b'Bearer realm="jotauth"')


cookie_names = st.sampled_from([b"jot", b"jot_refresh", b"XSRF-TOKEN", b"x", b""])
raw_cookie_pairs = st.lists(
    st.tuples(
        cookie_names,
        st.one_of(st.binary(max_size=60), st.sampled_from([b"good", b"good\xc3\xa9", b"\xe9"])),
    ),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(
    cookies=st.lists(raw_cookie_pairs, max_size=2),
    xsrf=st.one_of(st.none(), st.binary(max_size=60), st.just(b"\xc3\xa9")),
    origin=st.one_of(st.none(), st.binary(max_size=40)),
    method=st.sampled_from(["GET", "POST", "OPTIONS"]),
)
def test_hostile_bytes_with_silent_refresh_get_a_deliberate_answer(cookies, xsrf, origin, method):
    # Raw, non-UTF-8 bytes in Cookie (possibly split over two fields, RFC 9113 §8.2.3) and
    # X-XSRF-TOKEN, through the refresh path: never a 500, never an exception.
    headers = [
        (b"cookie", b"; ".join(name + b"=" + value for name, value in pairs)) for pairs in cookies
    ]
    if xsrf is not None:
        headers.append((b"x-xsrf-token", xsrf))
    if origin is not None:
        headers.append((b"origin", origin))
    status, response_headers = call("/api/x", headers, method, REFRESHING)
    assert status in (200, 400, 401, 403)
    if status != 200:
        assert response_headers[b"content-type"] == b"application/problem+json"


@settings(max_examples=100, deadline=None)
@given(garbage=st.text(max_size=300))
def test_garbage_access_cookies_are_401(garbage):
    status, _ = call("/api/x", [(b"cookie", f"jot=x{garbage}".encode("utf-8", "replace"))])
    assert status in (400, 401)


def test_valid_cookie_post_with_matching_bound_token_passes_and_mismatch_is_403():
    from jotauth.http.csrf import csrf_key, session_csrf_token

    xsrf = session_csrf_token(csrf_key(b"s" * 32), "s")
    cookie = f"jot={token()}; XSRF-TOKEN={xsrf}".encode()
    ok = call("/api/x", [(b"cookie", cookie), (b"x-xsrf-token", xsrf.encode())], "POST")
    assert ok[0] == 200
    bad = call("/api/x", [(b"cookie", cookie), (b"x-xsrf-token", b"other")], "POST")
    assert bad[0] == 403


def test_request_view_reads_its_headers_among_many_others_including_a_custom_csrf_header():
    from jotauth.guard.authenticator import Authenticator

    authenticator = Authenticator(verifier=VERIFIER, csrf=CsrfPolicy(header_name="X-CSRF"))
    headers = [
        (b"user-agent", b"Mozilla/5.0"),
        (b"x-csrf", b"t1"),
        (b"x-xsrf-token", b"not-the-configured-one"),
        (b"sec-ch-ua", b'"Chromium"'),
        (b"origin", b"https://app.example"),
        (b"sec-fetch-site", b"same-site"),
        (b"host", b"api.example"),
        (b"cookie", b"a=1"),
        (b"cookie", b"b=2"),
        (b"authorization", b"Bearer x"),
        (b"access-control-request-method", b"GET"),
    ]
    view = authenticator.view({"method": "OPTIONS", "headers": headers})
    assert view.csrf_header == "t1"
    assert view.origin == "https://app.example"
    assert view.fetch_site == "same-site"
    assert view.host == "api.example"
    assert view.cookie == "a=1; b=2"
    assert view.authorization == [b"Bearer x"]
    assert view.preflight


def test_an_access_cookie_sent_twice_is_refused_not_picked():
    """One rule with the auth server (issue 10 item 8): two values for one auth cookie are
    never read as one of two users."""
    good, other = token(), token(sub="mallory")
    cookie = f"jot={good}; other=1; jot={other}".encode()
    status, headers = call("/api/x", [(b"cookie", cookie)])
    assert status == 400
    assert headers[b"content-type"] == b"application/problem+json"
    assert call("/api/x", [(b"cookie", f"jot={good}; xjot=1; jotx=2".encode())])[0] == 200


# --- the hot path for a Bearer token verified before answers exactly as the full path ---------


def _verified_bearer() -> str:
    value = token(sub="hot")
    VERIFIER.verify(value)  # in the verifier's cache: the middleware's hot path can hit
    assert VERIFIER.cached(value.encode()) is not None
    return value


def test_a_cached_token_in_a_malformed_header_is_still_400():
    value = _verified_bearer()
    for header in (
        f"Bearer\t{value}",
        f"Bearer {value} {value}",
        f"Bearer {value}\x00",
        f"Bearer {value},",
    ):
        status, _ = call("/api/x", [(b"authorization", header.encode())])
        assert status == 400, header
    twice = [(b"authorization", f"Bearer {value}".encode())] * 2
    assert call("/api/x", twice)[0] == 400


def test_a_cached_token_in_every_spelling_the_full_parse_accepts_passes():
    value = _verified_bearer()
    for header in (f"Bearer {value}", f"bEaReR   {value}", f"Bearer {value} \t"):
        assert call("/api/x", [(b"authorization", header.encode())]) == (200, {}), header


def test_a_cached_token_on_a_preflight_does_not_authenticate_it():
    value = _verified_bearer()
    seen = {}

    async def app(scope, receive, send):
        seen["user"] = scope.get("user")
        await downstream(scope, receive, send)

    middleware = JWTAuthMiddleware(app, verifier=VERIFIER)
    headers = [
        (b"authorization", f"Bearer {value}".encode()),
        (b"origin", b"https://app.example"),
        (b"access-control-request-method", b"POST"),
    ]
    assert call("/api/x", headers, method="OPTIONS", middleware=middleware)[0] == 200
    assert seen["user"] is None


def test_a_cached_token_is_refused_once_its_session_has_ended():
    value = _verified_bearer()

    class Ended:
        def is_revoked(self, sid):
            return sid == "s"

    middleware = JWTAuthMiddleware(downstream, verifier=VERIFIER, revocations=Ended())
    status, _ = call(
        "/api/x", [(b"authorization", f"Bearer {value}".encode())], middleware=middleware
    )
    assert status == 401


def test_with_the_cookie_first_a_cached_bearer_does_not_win_over_the_cookie():
    header_token = _verified_bearer()
    middleware = JWTAuthMiddleware(
        downstream, verifier=VERIFIER, token_sources=("cookie", "header"), cookie_name="jot"
    )
    headers = [
        (b"authorization", f"Bearer {header_token}".encode()),
        (b"cookie", f"jot={token(sub='from-cookie')}".encode()),
    ]
    messages: list[dict] = []

    async def send(message):
        messages.append(message)

    scope = {"type": "http", "method": "GET", "path": "/api/x", "headers": headers}
    asyncio.run(middleware(scope, None, send))
    assert json.loads(messages[1]["body"]) == {"sub": "from-cookie"}
