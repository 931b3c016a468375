"""The one CSRF module: session-bound tokens, double submit, the login-form token, origins
and Fetch Metadata, shared by the auth server and the guard."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jotauth.http.csrf import (
    OriginAllowlist,
    csrf_key,
    double_submit_ok,
    fetch_site,
    form_key,
    form_token,
    is_cross_site,
    is_same_origin,
    matches_form,
    matches_session,
    normalise_origin,
    same_token,
    session_csrf_token,
)

KEY = csrf_key(b"unit-test-secret-0123456789abcdef")


def test_session_token_is_base64url_without_padding_and_bound_to_the_session():
    token = session_csrf_token(KEY, "sid-1")
    assert len(token) == 43 and "=" not in token and "+" not in token and "/" not in token
    assert matches_session(KEY, token, "sid-1")
    assert not matches_session(KEY, token, "sid-2")
    assert not matches_session(csrf_key(b"another-secret-0123456789abcdef!"), token, "sid-1")


@pytest.mark.parametrize(("value", "session"), [(None, "s"), ("", "s"), ("x", None), ("x", "")])
def test_missing_token_or_session_never_matches(value, session):
    assert not matches_session(KEY, value, session)


@pytest.mark.parametrize(
    ("header", "cookie", "ok"),
    [
        ("abc", "abc", True),
        ("abc", "abd", False),
        ("abc", None, False),
        (None, "abc", False),
        ("", "", False),
        ("\xe9", "\xe8", False),  # equal under a lossy "replace" encoding
        ("\xe9", "\xe9", False),  # tokens are ASCII: nothing else ever matches
    ],
)
def test_double_submit_needs_two_equal_ascii_values(header, cookie, ok):
    assert double_submit_ok(header, cookie) is ok
    assert same_token(header, cookie) is ok


def test_login_form_token_is_bound_to_its_nonce_under_its_own_key():
    key = form_key(b"unit-test-secret-0123456789abcdef")
    assert key != KEY  # separate labels: a session token is never a form token
    assert matches_form(key, "nonce-1", form_token(key, "nonce-1"))
    assert not matches_form(key, "nonce-2", form_token(key, "nonce-1"))
    assert not matches_form(key, None, form_token(key, "nonce-1"))
    assert not matches_form(key, "nonce-1", None)


@pytest.mark.parametrize(
    ("value", "origin"),
    [
        ("https://App.Example", "https://app.example"),
        ("https://app.example:443", "https://app.example"),
        ("http://app.example:8080/", "http://app.example:8080"),
        ("http://[::1]:3000", "http://[::1]:3000"),
        ("null", None),
        ("https://app.example/path", None),
        ("ftp://app.example", None),
        ("https://user@app.example", None),
        ("https://app.example:99999", None),
        ("HTTPS://APP.EXAMPLE:443", "https://app.example"),
        ("https://app.example?", None),
        ("https://app.example#", None),
        ("https://app.example/?q", None),
        ("https:app.example", None),
        ("//app.example", None),
        ("javascript:alert(1)", None),
        ("https://app.example\\@evil.example", None),
        ("https://app\u3002example", None),
        ("https://app..example", None),
        ("https://-app.example", None),
        ("ws://app.example", None),
        ("", None),
        ("https://" + "a" * 3000 + ".example", None),
    ],
)
def test_origin_normalisation(value, origin):
    assert normalise_origin(value) == origin


@given(st.text(max_size=80))
def test_normalised_origins_are_fixed_points(value):
    normalised = normalise_origin(value)
    assert normalised is None or normalise_origin(normalised) == normalised


def test_allowlist_matches_normalised_origins_and_optionally_the_own_host():
    allowlist = OriginAllowlist(
        ["https://app.example/", "not an origin", "HTTP://Dev.Example:8080"]
    )
    assert allowlist.origins == frozenset({"https://app.example", "http://dev.example:8080"})
    assert allowlist.allows("https://APP.example:443")
    assert allowlist.allows("http://dev.example:8080")
    assert not allowlist.allows("null")
    assert not allowlist.allows("https://app.example.evil.example")
    assert not allowlist.allows("https://api.example")
    assert allowlist.allows("https://api.example", host="API.example:443")
    assert allowlist.allows("http://api.example:8000", host="api.example:8000")
    assert not allowlist.allows("https://api.example", host="api.example:8443")
    assert not allowlist.allows("https://api.example", host="evil/x")


@pytest.mark.parametrize(
    ("header", "value", "cross", "same_origin"),
    [
        ("cross-site", "cross-site", True, False),
        ("CROSS-SITE", "cross-site", True, False),
        ("same-site", "same-site", False, False),
        ("same-origin", "same-origin", False, True),
        ("none", "none", False, True),
        (None, None, False, False),
        ("bogus", None, False, False),
    ],
)
def test_fetch_site_is_read_case_insensitively(header, value, cross, same_origin):
    assert fetch_site(header) == value
    assert is_cross_site(header) is cross
    assert is_same_origin(header) is same_origin
