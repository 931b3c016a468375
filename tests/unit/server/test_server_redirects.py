"""return_to validation: only allowlisted origins, nothing a browser would read differently."""

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jotauth.server.redirects import ReturnToPolicy, parse_http_url

POLICY = ReturnToPolicy(
    own_origin="https://auth.example.org",
    allowed_origins=frozenset({"https://auth.example.org", "https://app.example.org"}),
)


@pytest.mark.parametrize(
    "value",
    [
        "https://app.example.org/lessons?x=1#top",
        "https://APP.example.org/",
        "https://app.example.org:443/",
        "https://app.example.org",
    ],
)
def test_return_to_on_an_allowed_origin_is_accepted(value: str) -> None:
    assert POLICY.resolve(value) == value


def test_return_to_path_resolves_on_the_auth_server_itself() -> None:
    assert POLICY.resolve("/account?tab=1") == "https://auth.example.org/account?tab=1"


@pytest.mark.parametrize(
    "value",
    [
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "https:/evil.example",
        "https://app.example.org@evil.example/",
        "https://user:pw@app.example.org/",
        "https://evil.example/https://app.example.org",
        "https://app.example.org.evil.example/",
        "http://app.example.org/",  # another scheme is another origin
        "https://app.example.org:8443/",
        "javascript:alert(1)",
        "data:text/html,hi",
        "JaVaScRiPt://app.example.org/%0aalert(1)",
        "https://app.example.org\\@evil.example",
        "https://app.example.org/\x00",
        "https://app.example.org/\tpath",
        "/path\nLocation: https://evil.example",
        "\x01https://app.example.org/",
        " https://app.example.org/",
        "https://app.exämple.org/",
        "https://[::1/",
        "https://app.example.org:99999/",
        "ftp://app.example.org/",
        "/" + "a" * 5000,
        "evil.example",
    ],
)
def test_hostile_return_to_is_refused(value: str) -> None:
    assert POLICY.resolve(value) is None


def test_missing_return_to_means_no_redirect() -> None:
    assert POLICY.resolve(None) is None
    assert POLICY.resolve("") is None


def test_origin_of_default_port_is_canonical() -> None:
    parsed = parse_http_url("HTTPS://Auth.Example.Org:443/x")
    assert parsed is not None and parsed.origin == "https://auth.example.org"
    parsed = parse_http_url("http://127.0.0.1:8000")
    assert parsed is not None and parsed.origin == "http://127.0.0.1:8000"


_HOSTILE_PIECES = [
    "https://",
    "http://",
    "//",
    "/",
    "\\",
    "@",
    ":",
    "app.example.org",
    "evil.example",
    ".",
    "%2f",
    "%5c",
    "\t",
    "\n",
    "\x00",
    " ",
    "#",
    "?",
    "javascript:",
    "[::1]",
    ":443",
    "é",
]


@given(st.lists(st.sampled_from(_HOSTILE_PIECES), min_size=1, max_size=8).map("".join))
@settings(max_examples=1000, deadline=None)
def test_any_accepted_return_to_lands_on_an_allowed_origin(value: str) -> None:
    resolved = POLICY.resolve(value)
    if resolved is None:
        return
    # What a browser would do with it: an absolute http(s) URL on an allowed host, with
    # nothing it could reinterpret (no backslash, userinfo, whitespace or control chars).
    assert not any(c in resolved for c in "\\\t\n\x00 ")
    parts = urlsplit(resolved)
    assert "@" not in parts.netloc
    assert parts.scheme == "https" and parts.hostname in {"app.example.org", "auth.example.org"}
    assert parts.port in (None, 443)
