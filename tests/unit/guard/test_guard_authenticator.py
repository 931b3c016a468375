"""One authentication pipeline: the async (ASGI) and blocking (WSGI) entry points answer
every request alike, and verification errors are translated in one place."""

import time
from typing import Any

import pytest

from jotauth.guard import CsrfPolicy, GuardError, KeysUnavailable, TokenRejected
from jotauth.guard.authenticator import Authenticator, RequestView, rejection
from jotauth.http.csrf import csrf_key, session_csrf_token
from jotauth.jose import Key, KeySet, KeySetUnavailable, TokenExpired, encode
from jotauth.problems import PROBLEM_SPECS, Challenge
from jotauth.verify import TokenVerifier

KEY = Key.generate("ES256", kid="k1")
SECRET = b"authenticator-test-secret-0123456789"
XSRF = session_csrf_token(csrf_key(SECRET), "s1")
AUTHENTICATOR = Authenticator(
    verifier=TokenVerifier(
        issuer="iss", audience="aud", keys=KeySet([KEY.public_key()]), algorithms=("ES256",)
    ),
    cookie_name="jot",
    csrf=CsrfPolicy(secret=SECRET),
)


def token(**overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": "iss", "sub": "u", "aud": "aud", "iat": now, "exp": now + 86400, "sid": "s1"}
    claims.update(overrides)
    return encode(claims, KEY)


def view(method: str = "GET", **headers: Any) -> RequestView:
    request = RequestView(method)
    request.authorization = list(headers.get("authorization", []))
    request.cookie = headers.get("cookie")
    request.csrf_header = headers.get("csrf")
    request.origin = headers.get("origin")
    request.fetch_site = headers.get("fetch_site")
    request.host = "api.example"
    return request


REQUESTS = {
    "bearer": view(authorization=[f"Bearer {token()}".encode()]),
    "cookie GET": view(cookie=f"jot={token()}"),
    "cookie POST, XSRF": view("POST", cookie=f"jot={token()}; XSRF-TOKEN={XSRF}", csrf=XSRF),
    "cookie POST, no XSRF": view("POST", cookie=f"jot={token()}"),
    "cookie POST cross-site": view(
        "POST", cookie=f"jot={token()}; XSRF-TOKEN={XSRF}", csrf=XSRF, fetch_site="cross-site"
    ),
    "nothing": view(),
    "expired": view(authorization=[f"Bearer {token(exp=1)}".encode()]),
    "malformed header": view(authorization=[b"Bearer a b"]),
    "two headers": view(authorization=[b"Bearer a", b"Bearer a"]),
    "garbage token": view(authorization=[b"Bearer abc"]),
    "other scheme": view(authorization=[b"Basic dTpw"]),
}


def outcome(call: Any) -> tuple[Any, ...]:
    try:
        authenticated = call()
    except GuardError as error:
        return (_status(error), error.reported_code)
    return (200, authenticated.claims.sub, authenticated.source)


@pytest.mark.parametrize("name", sorted(REQUESTS))
async def test_async_and_blocking_authentication_agree(name: str) -> None:
    request = REQUESTS[name]
    blocking = outcome(lambda: AUTHENTICATOR.authenticate_sync(request))
    try:
        authenticated = await AUTHENTICATOR.authenticate(request)
        awaited: tuple[Any, ...] = (200, authenticated.claims.sub, authenticated.source)
    except GuardError as error:
        awaited = (_status(error), error.reported_code)
    assert awaited == blocking
    if name in ("bearer", "cookie GET", "cookie POST, XSRF"):
        assert blocking[0] == 200
    else:
        assert blocking[0] in (400, 401, 403)


def test_a_rejected_token_is_401_with_the_verifiers_code() -> None:
    error = rejection(TokenExpired())
    assert isinstance(error, TokenRejected)
    assert (_status(error), error.reported_code) == (401, "expired")
    assert PROBLEM_SPECS[error.reported_code].challenge is Challenge.INVALID_TOKEN


def test_missing_keys_are_503_never_401() -> None:
    error = rejection(KeySetUnavailable("down"))
    assert isinstance(error, KeysUnavailable) and _status(error) == 503


def _status(error: GuardError) -> int:
    return PROBLEM_SPECS[error.reported_code].status
