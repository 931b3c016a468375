"""Token locations read strictly: the Bearer header (parsed by jotauth.http.bearer) fails as
the guard's 400, WebSocket subprotocols."""

import pytest

from jotauth.guard import MalformedAuthorization
from jotauth.guard.credentials import bearer_token, subprotocol_token
from jotauth.problems import PROBLEM_SPECS, Challenge


def test_a_bearer_token_is_returned_as_bytes():
    assert bearer_token([b"Bearer abc.def"]) == b"abc.def"


@pytest.mark.parametrize("values", [[b"Bearer a b"], [b"Bearer a", b"Bearer a"], [b"B@d x"]])
def test_malformed_authorization_is_the_guards_invalid_request(values):
    with pytest.raises(MalformedAuthorization) as caught:
        bearer_token(values)
    spec = PROBLEM_SPECS[caught.value.code]
    assert (spec.status, spec.challenge) == (400, Challenge.INVALID_REQUEST)


def test_repeated_header_says_so_in_the_problem_detail():
    with pytest.raises(MalformedAuthorization, match="exactly one Authorization header"):
        bearer_token([b"Bearer a", b"Bearer b"])


def test_subprotocol_token_follows_the_marker():
    assert subprotocol_token(["chat", "jotauth.bearer", "tok"]) == "tok"
    assert subprotocol_token(["chat"]) is None
    with pytest.raises(MalformedAuthorization):
        subprotocol_token(["jotauth.bearer"])
