"""The one Authorization header parser: RFC 6750 §2.1 syntax, strictly."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jotauth.http.bearer import MalformedBearer, bearer_token


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
    with pytest.raises(MalformedBearer):
        bearer_token([header])


@pytest.mark.parametrize("header", [b"Basic dXNlcjpwYXNz", b"Token abc", b"Digest x=1", b"eyJabc"])
def test_other_schemes_are_not_bearer_credentials(header):
    assert bearer_token([header]) is None


def test_two_authorization_headers_are_invalid_request():
    with pytest.raises(MalformedBearer):
        bearer_token([b"Bearer a", b"Bearer a"])


def test_no_authorization_header_is_no_token():
    assert bearer_token([]) is None


@given(st.lists(st.binary(max_size=64), max_size=3))
def test_any_header_values_give_a_token_none_or_malformed_bearer(values):
    try:
        token = bearer_token(values)
    except MalformedBearer:
        return
    assert token is None or values[0].strip().lower().startswith(b"bearer ")
