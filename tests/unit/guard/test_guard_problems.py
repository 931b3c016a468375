"""The guard's error rendering: RFC 9457 documents and RFC 6750 §3 challenges."""

import json

from jotauth.guard import (
    CsrfFailed,
    InsufficientScope,
    KeysUnavailable,
    MalformedAuthorization,
    MissingCredentials,
    TokenRejected,
)
from jotauth.guard.problems import bearer_challenge, problem_body, problem_headers
from jotauth.jose import TokenExpired, UnsupportedAlgorithm


def headers_of(error) -> dict[bytes, bytes]:
    return dict(problem_headers(error, "jotauth", 10))


def test_no_credentials_gets_a_bare_challenge():
    assert bearer_challenge(MissingCredentials(), "jotauth") == 'Bearer realm="jotauth"'
    assert headers_of(MissingCredentials())[b"www-authenticate"] == b'Bearer realm="jotauth"'


def test_rejected_token_challenge_names_invalid_token_and_keeps_the_precise_code():
    error = TokenRejected(TokenExpired())
    assert error.status == 401 and error.code == "expired"
    assert bearer_challenge(error, "api") == (
        'Bearer realm="api", error="invalid_token", error_description="the token has expired"'
    )
    document = json.loads(problem_body(error))
    assert document == {
        "type": "https://jotauth.dev/problems/expired",
        "title": "Invalid token",
        "status": 401,
        "detail": "the token has expired",
        "code": "expired",
    }


def test_attacker_controlled_detail_cannot_break_the_header():
    error = TokenRejected(UnsupportedAlgorithm('x", error="none\\\r\nSet-Cookie: a=b ' + "é" * 500))
    value = bearer_challenge(error, "jotauth")
    description = value.split('error_description="', 1)[1]
    assert description.count('"') == 1 and description.endswith('"')
    assert "\r" not in value and "\n" not in value and "\\" not in value
    assert len(description) <= 201
    value.encode("ascii")


def test_insufficient_scope_challenge_lists_the_scope():
    error = InsufficientScope(scopes=("lessons:write", "lessons:read"))
    assert error.status == 403
    assert bearer_challenge(error, "jotauth").endswith(
        'error="insufficient_scope", error_description="The access token does not grant '
        'access to this resource.", scope="lessons:write lessons:read"'
    )


def test_malformed_header_is_400_invalid_request_with_a_challenge():
    headers = headers_of(MalformedAuthorization())
    assert b'error="invalid_request"' in headers[b"www-authenticate"]


def test_csrf_failure_has_no_challenge_and_outage_has_retry_after():
    assert b"www-authenticate" not in headers_of(CsrfFailed())
    outage = headers_of(KeysUnavailable())
    assert b"www-authenticate" not in outage and outage[b"retry-after"] == b"5"


def test_every_problem_is_problem_json_and_not_cacheable():
    for error in (MissingCredentials(), CsrfFailed(), KeysUnavailable(), InsufficientScope()):
        headers = headers_of(error)
        assert headers[b"content-type"] == b"application/problem+json"
        assert headers[b"cache-control"] == b"no-store"
