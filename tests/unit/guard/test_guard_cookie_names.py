"""The guard reads the access cookie the auth server sets: ``__Host-jot_access``, and beside
a plain-HTTP loopback issuer (``jotauth serve --dev``) also ``jot_access``; a cookie under
the other spelling of its name is a clear configuration error, not "a token is required"."""

import asyncio
import logging
import time
from typing import Any

import pytest

from jotauth.guard import GuardError
from jotauth.guard.authenticator import (
    DEFAULT_ACCESS_COOKIE,
    DEV_ACCESS_COOKIE,
    Authenticator,
    RequestView,
    access_cookie_names,
)
from jotauth.guard.errors import MisnamedAccessCookie
from jotauth.jose import Key, KeySet, encode
from jotauth.problems import ProblemRenderer
from jotauth.verify import TokenVerifier

KEY = Key.generate("ES256", kid="k1")
DEV_ISSUER = "http://127.0.0.1:8000"
PROD_ISSUER = "https://auth.example.com"


def authenticator(issuer: str, **options: Any) -> Authenticator:
    verifier = TokenVerifier(
        issuer=issuer, audience="jotauth", keys=KeySet([KEY.public_key()]), algorithms=("ES256",)
    )
    return Authenticator(verifier=verifier, **options)


def token(issuer: str) -> str:
    now = int(time.time())
    claims = {"iss": issuer, "sub": "u1", "aud": "jotauth", "iat": now, "exp": now + 600}
    return encode(claims, KEY)


def request(cookie: str | None) -> RequestView:
    view = RequestView("GET")
    view.cookie = cookie
    return view


@pytest.mark.parametrize(
    ("issuer", "names"),
    [
        ("http://127.0.0.1:8000", (DEFAULT_ACCESS_COOKIE, DEV_ACCESS_COOKIE)),
        ("http://localhost:4200/", (DEFAULT_ACCESS_COOKIE, DEV_ACCESS_COOKIE)),
        ("http://[::1]:9000", (DEFAULT_ACCESS_COOKIE, DEV_ACCESS_COOKIE)),
        ("https://127.0.0.1:8443", (DEFAULT_ACCESS_COOKIE,)),
        ("https://auth.example.com", (DEFAULT_ACCESS_COOKIE,)),
        # plain HTTP off loopback is never --dev: the strict name only
        ("http://auth.example.com", (DEFAULT_ACCESS_COOKIE,)),
        ("http://127.0.0.1.evil.example", (DEFAULT_ACCESS_COOKIE,)),
        ("http://localhost.evil.example:80", (DEFAULT_ACCESS_COOKIE,)),
    ],
)
def test_the_default_cookie_names_follow_the_issuer(issuer: str, names: tuple[str, ...]) -> None:
    assert access_cookie_names(issuer) == names
    assert authenticator(issuer).cookie_names == names


def test_a_guard_beside_serve_dev_reads_its_cookie_with_the_defaults() -> None:
    guard = authenticator(DEV_ISSUER)
    authenticated = guard.authenticate_sync(request(f"jot_access={token(DEV_ISSUER)}"))
    assert authenticated.claims.sub == "u1" and authenticated.source == "cookie"
    # and the production name as well (a loopback server without --dev sets that one)
    assert guard.authenticate_sync(request(f"__Host-jot_access={token(DEV_ISSUER)}")).claims


def test_over_https_the_unprefixed_cookie_is_refused_and_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    guard = authenticator(PROD_ISSUER)
    with (
        caplog.at_level(logging.WARNING, "jotauth.guard"),
        pytest.raises(MisnamedAccessCookie) as caught,
    ):
        guard.authenticate_sync(request(f"other=1; jot_access={token(PROD_ISSUER)}"))
    error = caught.value
    assert (error.found, error.expected) == ("jot_access", "__Host-jot_access")
    assert "An access token is required" not in error.detail
    assert "'__Host-jot_access'" in error.detail and "'jot_access'" in error.detail
    assert "cookie_name='jot_access'" in error.detail
    assert "this guard reads '__Host-jot_access'" in caplog.text
    caplog.clear()  # said once, not on every request of a misconfigured app
    with caplog.at_level(logging.WARNING, "jotauth.guard"), pytest.raises(MisnamedAccessCookie):
        guard.authenticate_sync(request(f"jot_access={token(PROD_ISSUER)}"))
    assert caplog.text == ""
    # Over HTTP: still the bare challenge of "no credentials" (RFC 6750 §3.1), code missing_token.
    rendered = ProblemRenderer("jotauth").render(error)
    assert rendered.status == 401
    assert b'"code":"missing_token"' in rendered.body.replace(b" ", b"")
    assert dict(rendered.headers)[b"www-authenticate"] == b'Bearer realm="jotauth"'


def test_a_configured_name_names_the_prefixed_variant_too() -> None:
    guard = authenticator(DEV_ISSUER, cookie_name="jot_access")
    assert guard.cookie_names == ("jot_access",)
    with pytest.raises(MisnamedAccessCookie) as caught:
        asyncio.run(guard.authenticate(request(f"__Host-jot_access={token(DEV_ISSUER)}")))
    assert (caught.value.found, caught.value.expected) == ("__Host-jot_access", "jot_access")


@pytest.mark.parametrize(
    "cookie",
    [None, "", "theme=dark", "jot_accessx=1", "x_jot_access=1", "jot_access=", "XSRF-TOKEN=a"],
)
def test_no_misnamed_cookie_is_the_plain_missing_token(cookie: str | None) -> None:
    with pytest.raises(GuardError) as caught:
        authenticator(PROD_ISSUER).authenticate_sync(request(cookie))
    assert type(caught.value).__name__ == "MissingCredentials"
    assert caught.value.detail == "An access token is required."


def test_a_misnamed_cookie_sent_twice_is_still_a_duplicate_cookie() -> None:
    with pytest.raises(GuardError) as caught:
        authenticator(PROD_ISSUER).authenticate_sync(request("jot_access=a; jot_access=b"))
    assert caught.value.reported_code == "duplicate_cookie"


def test_with_the_header_source_only_cookies_are_not_looked_at() -> None:
    guard = authenticator(PROD_ISSUER, token_sources=("header",))
    with pytest.raises(GuardError) as caught:
        guard.authenticate_sync(request(f"jot_access={token(PROD_ISSUER)}"))
    assert type(caught.value).__name__ == "MissingCredentials"
