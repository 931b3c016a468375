"""CSRF tokens bound to sessions, the login-form token and the Origin allowlist."""

import pytest

from jotauth.server.csrf import CsrfTokens, OriginPolicy
from jotauth.server.problems import CsrfFailed

TOKENS = CsrfTokens(b"0123456789abcdef0123456789abcdef")


def test_session_token_is_deterministic_per_session_and_differs_between_sessions() -> None:
    assert TOKENS.token_for_session("s1") == TOKENS.token_for_session("s1")
    assert TOKENS.token_for_session("s1") != TOKENS.token_for_session("s2")


def test_session_token_depends_on_the_secret() -> None:
    other = CsrfTokens(b"another-secret-another-secret-xx")
    assert other.token_for_session("s1") != TOKENS.token_for_session("s1")


def test_matching_header_and_cookie_of_this_session_pass() -> None:
    token = TOKENS.token_for_session("s1")
    TOKENS.check_session_request(header=token, cookie=token, session_id="s1")


@pytest.mark.parametrize(
    ("header", "cookie"),
    [
        (None, "T"),
        ("T", None),
        ("", ""),
        ("wrong", "T"),
        ("T", "wrong"),
        ("é", "T"),
    ],
)
def test_missing_or_mismatched_tokens_fail(header: str | None, cookie: str | None) -> None:
    token = TOKENS.token_for_session("s1")
    header = token if header == "T" else header
    cookie = token if cookie == "T" else cookie
    with pytest.raises(CsrfFailed):
        TOKENS.check_session_request(header=header, cookie=cookie, session_id="s1")


def test_a_token_belongs_only_to_its_own_session() -> None:
    token = TOKENS.token_for_session("s1")
    assert TOKENS.belongs_to_session(token, "s1")
    assert not TOKENS.belongs_to_session(token, "s2")
    assert not TOKENS.belongs_to_session(None, "s1")
    assert not TOKENS.belongs_to_session(token[:-1] + "\u00e9", "s1")


def test_token_of_another_session_fails_even_when_header_equals_cookie() -> None:
    other = TOKENS.token_for_session("s2")
    with pytest.raises(CsrfFailed):
        TOKENS.check_session_request(header=other, cookie=other, session_id="s1")


def test_login_form_token_is_bound_to_its_nonce() -> None:
    nonce = TOKENS.new_form_nonce()
    TOKENS.check_form(nonce=nonce, token=TOKENS.form_token(nonce))
    with pytest.raises(CsrfFailed):
        TOKENS.check_form(nonce=TOKENS.new_form_nonce(), token=TOKENS.form_token(nonce))
    with pytest.raises(CsrfFailed):
        TOKENS.check_form(nonce=None, token=TOKENS.form_token(nonce))


def test_origin_policy_accepts_own_and_allowlisted_origins_only() -> None:
    policy = OriginPolicy(
        own_origin="https://auth.example.org/", allowed_origins=("https://app.example.org",)
    )
    assert policy.is_allowed("https://auth.example.org")
    assert policy.is_allowed("https://app.example.org")
    assert policy.is_allowed("https://APP.example.org:443")
    assert not policy.is_allowed("null")
    assert not policy.is_allowed("https://evil.example")
    assert not policy.is_allowed("http://app.example.org")
    assert not policy.is_allowed("https://app.example.org/path")
