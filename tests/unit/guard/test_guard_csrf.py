"""CsrfPolicy: double submit, session binding shared with the auth server, Fetch Metadata
and Origin as defence in depth."""

import pytest

from jotauth.guard import CsrfFailed, CsrfPolicy
from jotauth.http.csrf import csrf_key, matches_session, session_csrf_token
from jotauth.server.csrf import CsrfTokens

SECRET = b"unit-test-secret-0123456789abcdef0123456789"
TOKEN = session_csrf_token(csrf_key(SECRET), "sid-1")


def check(policy: CsrfPolicy, **overrides):
    values = {
        "header": TOKEN,
        "cookie": TOKEN,
        "session_id": "sid-1",
        "origin": None,
        "fetch_site": None,
        "host": "api.example",
    }
    values.update(overrides)
    policy.check(**values)


def test_guard_and_auth_server_derive_the_same_session_token():
    assert CsrfTokens(SECRET).token_for_session("sid-1") == TOKEN
    assert matches_session(csrf_key(SECRET), TOKEN, "sid-1")
    assert not matches_session(csrf_key(SECRET), TOKEN, "sid-2")
    assert not matches_session(csrf_key(b"another secret of sufficient length!!"), TOKEN, "sid-1")


def test_matching_session_bound_token_passes():
    check(CsrfPolicy(secret=SECRET))


@pytest.mark.parametrize(
    "overrides",
    [
        {"header": None},
        {"cookie": None},
        {"header": ""},
        {"header": TOKEN + "x"},
        {"header": "é" + TOKEN},
        {"session_id": "sid-2"},
        {"session_id": None},
        {"fetch_site": "cross-site"},
        {"fetch_site": "CROSS-SITE"},
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"origin": "not an origin"},
        {"origin": "https://api.example.evil.example"},
    ],
)
def test_session_bound_policy_refuses(overrides):
    with pytest.raises(CsrfFailed):
        check(CsrfPolicy(secret=SECRET), **overrides)


def test_same_origin_and_allowlisted_origins_pass():
    policy = CsrfPolicy(secret=SECRET, allowed_origins=("https://app.example/",))
    check(policy, origin="https://api.example")  # same host as the Host header
    check(policy, origin="https://app.example")
    check(policy, origin="HTTPS://APP.EXAMPLE:443", fetch_site="same-site")


def test_without_a_secret_any_equal_pair_passes_but_not_a_mismatch():
    policy = CsrfPolicy()
    assert not policy.binds_sessions
    check(policy, header="abc", cookie="abc", session_id=None)
    with pytest.raises(CsrfFailed):
        check(policy, header="abc", cookie="abd")


def test_binding_can_be_deferred_until_the_session_is_known():
    check(CsrfPolicy(secret=SECRET), session_id=None, bind_session=False)


def test_non_ascii_tokens_never_match_even_when_they_would_encode_alike():
    # "é" and "è" both became "?" under a lossy encoding: a double submit of two different
    # values must still fail, and a non-ASCII value never matches a session token.
    with pytest.raises(CsrfFailed):
        check(CsrfPolicy(), header="é", cookie="è", session_id=None)
    with pytest.raises(CsrfFailed):
        check(CsrfPolicy(), header="é", cookie="é", session_id=None)
    assert not matches_session(csrf_key(SECRET), TOKEN[:-1] + "é", "sid-1")


def test_browser_context_check_alone_refuses_cross_site_and_foreign_origins():
    policy = CsrfPolicy(allowed_origins=("https://app.example",))
    policy.check_browser_context(origin="https://app.example", fetch_site="same-site", host="x")
    policy.check_browser_context(origin=None, fetch_site=None, host=None)
    with pytest.raises(CsrfFailed):
        policy.check_browser_context(origin=None, fetch_site="cross-site", host="x")
    with pytest.raises(CsrfFailed):
        policy.check_browser_context(origin="https://evil.example", fetch_site=None, host="x")
