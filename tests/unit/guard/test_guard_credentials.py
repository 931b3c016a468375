"""Token locations read strictly: RFC 6750 §2.1 Bearer syntax, cookies, subprotocols."""

import pytest

from jotauth.guard import MalformedAuthorization
from jotauth.guard.credentials import bearer_token, cookie_value, subprotocol_token


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (b"Bearer abc.def.ghi", "abc.def.ghi"),
        (b"bearer abc", "abc"),
        (b"BEARER abc", "abc"),
        (b"Bearer  abc", "abc"),  # 1*SP
        (b"Bearer a-b_c~d+e/f==", "a-b_c~d+e/f=="),
        (b"Bearer abc ", "abc"),  # trailing OWS is not part of the field value
    ],
)
def test_bearer_header_syntax(header, token):
    assert bearer_token([header]) == token.encode()


@pytest.mark.parametrize(
    "header",
    [
        b"Bearer",
        b"Bearer ",
        b"Bearer a b",
        b"Bearer a,b",
        b"Bearer a;b",
        b"Bearer =abc",
        b"Bearer\tabc",
        b"Bearer a=b",
        b"Bearer \xc3\xa9",
        b"Bearer,abc",
        b"Bearer\x00abc",
        b"",
    ],
)
def test_malformed_bearer_header_is_invalid_request(header):
    with pytest.raises(MalformedAuthorization):
        bearer_token([header])


@pytest.mark.parametrize("header", [b"Basic dXNlcjpwYXNz", b"Token abc", b"Digest x=1", b"eyJabc"])
def test_other_schemes_are_not_bearer_credentials(header):
    assert bearer_token([header]) is None


def test_two_authorization_headers_are_invalid_request():
    with pytest.raises(MalformedAuthorization):
        bearer_token([b"Bearer a", b"Bearer a"])


def test_no_authorization_header_is_no_token():
    assert bearer_token([]) is None


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("jot=abc", "abc"),
        ("a=1; jot=abc; b=2", "abc"),
        ('jot="abc"', "abc"),
        ("jot=first; jot=second", "first"),
        ("xjot=no; jot=yes", "yes"),
        ("jot=", None),
        ("jotx=1", None),
        ("jot", None),
        (None, None),
        ("", None),
    ],
)
def test_cookie_value_takes_the_first_exact_name(header, value):
    assert cookie_value(header, "jot") == value


def test_subprotocol_token_follows_the_marker():
    assert subprotocol_token(["chat", "jotauth.bearer", "tok"]) == "tok"
    assert subprotocol_token(["chat"]) is None
    with pytest.raises(MalformedAuthorization):
        subprotocol_token(["jotauth.bearer"])
