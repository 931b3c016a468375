"""The one renderer: every code's status, title and RFC 6750 challenge, and what never leaks."""

from __future__ import annotations

import json

import pytest

from jotauth.errors import ErrorCode as C
from jotauth.guard import InsufficientScope, InsufficientUserAuthentication, TokenRejected
from jotauth.jose import TokenExpired, UnsupportedAlgorithm
from jotauth.problems import PROBLEM_SPECS, ProblemRenderer, RenderedProblem
from jotauth.users import LoginThrottled

# The specification, written out independently of the table: a new code fails the
# coverage test below until someone decides here how it looks over HTTP.
TOKEN_ERRORS = {
    C.INVALID_TOKEN, C.MALFORMED_TOKEN, C.TOKEN_TOO_LARGE, C.BAD_SEGMENTS, C.BAD_BASE64,
    C.BAD_JSON, C.DUPLICATE_JSON_KEY, C.BAD_HEADER, C.ALG_NONE, C.UNSUPPORTED_ALG,
    C.ALG_MISMATCH, C.HEADER_KEY_FORBIDDEN, C.UNKNOWN_CRIT, C.UNKNOWN_KID, C.MISSING_KID,
    C.BAD_SIGNATURE, C.BAD_SIGNATURE_LENGTH, C.SIGNATURE_OUT_OF_RANGE, C.BAD_CLAIM,
    C.MISSING_CLAIM, C.BAD_ISSUER, C.BAD_AUDIENCE, C.BAD_TYPE, C.EXPIRED, C.NOT_YET_VALID,
    C.ISSUED_IN_FUTURE, C.TOKEN_REJECTED,
    # credentials that were sent and are no good any more
    C.SESSION_ERROR, C.INVALID_REFRESH_TOKEN, C.SESSION_EXPIRED, C.SESSION_REVOKED,
    C.REFRESH_REUSED, C.REFRESH_FAILED, C.USER_INACTIVE, C.SESSION_ENDED, C.NOT_FIRST_PARTY,
}  # fmt: skip
# RFC 6750 §3.1: no credentials were sent, so no error code; a wrong password is no token.
# A wrong second factor is a failed login step like a wrong password, and an unusable
# mfa_token one that must start again: neither is a token error.
BARE_401 = {
    C.MISSING_TOKEN, C.MISSING_REFRESH_TOKEN, C.INVALID_CREDENTIALS, C.SECOND_FACTOR_INVALID,
    C.MFA_TOKEN_INVALID, C.PASSKEY_REFUSED, C.PASSKEY_CLONED,
}  # fmt: skip
UNAVAILABLE_503 = {
    C.KEYS_UNAVAILABLE, C.INVALID_JWKS, C.SIGNING_KEYS_UNAVAILABLE, C.STORE_UNAVAILABLE,
    C.REFRESH_UNAVAILABLE, C.HASH_QUEUE_FULL, C.THROTTLE_UNAVAILABLE,
}  # fmt: skip
INTERNAL_500 = {
    C.JOSE_ERROR, C.INVALID_KEY, C.WEAK_KEY, C.KEY_LIFECYCLE, C.STORE_ERROR,
    C.UNSUPPORTED_DATABASE, C.SEAL_BROKEN, C.STARTUP_REFUSED, C.INTERNAL_ERROR, C.MAIL_ERROR,
}  # fmt: skip
PLAIN_STATUS = {
    C.MALFORMED_AUTHORIZATION: 400,  # with error="invalid_request"
    C.DUPLICATE_COOKIE: 400,
    C.INSUFFICIENT_SCOPE: 403,  # with error="insufficient_scope"
    C.WRONG_PASSWORD: 403,
    C.EMAIL_NOT_VERIFIED: 403,
    C.ACCOUNT_LINK_INVALID: 400,
    C.MAIL_HEADER_INVALID: 422,
    C.CSRF_FAILED: 403,
    C.ORIGIN_NOT_ALLOWED: 403,
    C.TOO_MANY_ATTEMPTS: 429,
    C.KEY_NOT_FOUND: 404,
    C.USER_NOT_FOUND: 404,
    C.SESSION_NOT_FOUND: 404,
    C.NOT_FOUND: 404,
    C.FEATURE_DISABLED: 404,
    C.METHOD_NOT_ALLOWED: 405,
    C.USER_EXISTS: 409,
    C.REFRESH_CONFLICT: 409,
    C.PAYLOAD_TOO_LARGE: 413,
    C.UNSUPPORTED_MEDIA_TYPE: 415,
    C.INVALID_EMAIL: 422,
    C.WEAK_PASSWORD: 422,
    C.PASSWORD_TOO_LONG: 422,
    C.INVALID_PROFILE: 422,
    C.UNSUPPORTED_PASSWORD_HASH: 422,
    C.INVALID_PASSWORD_HASH: 422,
    C.INVALID_IMPORT_ROW: 422,
    C.VALIDATION_FAILED: 422,
    C.USER_ERROR: 400,
    C.GUARD_ERROR: 400,
    C.BAD_REQUEST: 400,
    C.MALFORMED_REQUEST: 400,
    C.INVALID_RETURN_TO: 400,
    C.HTTP_ERROR: 400,
    # federation (DESIGN §14)
    C.FEDERATION_ERROR: 400,
    C.UNKNOWN_PROVIDER: 404,
    C.PROVIDER_EXISTS: 409,
    C.FEDERATION_STATE_INVALID: 400,
    C.FEDERATION_REFUSED: 400,
    C.PROVIDER_UNAVAILABLE: 502,  # the provider failed, not us: a fixed detail, like a 503
    C.PROVIDER_EMAIL_UNVERIFIED: 403,
    C.LINK_REQUIRED: 409,
    C.IDENTITY_ALREADY_LINKED: 409,
    C.LAST_SIGN_IN_METHOD: 409,
    C.IDENTITY_NOT_FOUND: 404,
    C.PASSWORD_ALREADY_SET: 409,
    # second factors (DESIGN §13)
    C.SECOND_FACTOR_ERROR: 400,
    C.CONFIRMATION_CODE_INVALID: 422,
    C.SECOND_FACTOR_THROTTLED: 429,
    C.SECOND_FACTOR_UNAVAILABLE: 400,
    C.SECOND_FACTOR_EXISTS: 409,
    C.SECOND_FACTOR_NOT_FOUND: 404,
    C.SECOND_FACTOR_REQUIRED: 409,
    C.INSUFFICIENT_USER_AUTHENTICATION: 403,  # error="insufficient_user_authentication"
    # passkeys (DESIGN §13)
    C.PASSKEY_ERROR: 400,
    C.PASSKEYS_UNAVAILABLE: 404,
    C.PASSKEY_MALFORMED: 400,
    C.PASSKEY_CHALLENGE_INVALID: 400,
    C.PASSKEY_REGISTRATION_REFUSED: 400,
    C.PASSKEY_EXISTS: 409,
    C.PASSKEY_LIMIT: 409,
    C.PASSKEY_NOT_FOUND: 404,
}
SECRET = "row 42 of /var/lib/jotauth/jotauth.db"


def headers_of(problem: RenderedProblem) -> dict[bytes, bytes]:
    names = [name for name, _ in problem.headers]
    assert len(names) == len(set(names)), names
    return dict(problem.headers)


def test_the_specification_covers_every_code_exactly_once():
    groups = [TOKEN_ERRORS, BARE_401, UNAVAILABLE_503, INTERNAL_500, set(PLAIN_STATUS)]
    assert sum(len(group) for group in groups) == len(C)
    assert set().union(*groups) == set(C) == set(PROBLEM_SPECS)


@pytest.mark.parametrize("code", list(C))
def test_every_code_renders_its_status_title_and_challenge(code: C):
    problem = ProblemRenderer("jotauth").render_code(code, SECRET, retry_after=None)
    headers = headers_of(problem)
    document = json.loads(problem.body)
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"content-length"] == str(len(problem.body)).encode()
    assert headers[b"cache-control"] == b"no-store"
    assert document == {
        "type": f"https://jotauth.dev/problems/{problem.code}",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
    }
    assert problem.title and problem.title[0].isupper()
    challenge = headers.get(b"www-authenticate")
    if problem.status == 401:
        assert challenge is not None, "a 401 must carry a challenge (RFC 9110 §15.5.2)"
    if code in TOKEN_ERRORS:
        assert (problem.status, problem.code) == (401, code)
        assert challenge is not None
        assert challenge.startswith(b'Bearer realm="jotauth", error="invalid_token", ')
    elif code in BARE_401:
        assert (problem.status, problem.code, challenge) == (401, code, b'Bearer realm="jotauth"')
    elif code in UNAVAILABLE_503:
        assert (problem.status, problem.code) == (503, code)
        assert headers[b"retry-after"] == b"5" and challenge is None
        assert SECRET not in problem.detail
    elif code in INTERNAL_500:
        assert (problem.status, problem.code) == (500, C.INTERNAL_ERROR)
        assert problem.title == "Internal server error" and challenge is None
        assert problem.detail == "The server could not complete the request."
    else:
        assert problem.status == PLAIN_STATUS[code] and problem.code == code
        # 4xx details are for the client; a 502 (a provider down) says only the fixed text.
        assert problem.detail == SECRET if problem.status < 500 else SECRET not in problem.detail
        if code is C.MALFORMED_AUTHORIZATION:
            assert challenge is not None and b'error="invalid_request"' in challenge
        elif code is C.INSUFFICIENT_SCOPE:
            assert challenge is not None and b'error="insufficient_scope"' in challenge
        elif code is C.INSUFFICIENT_USER_AUTHENTICATION:
            assert challenge is not None
            assert b'error="insufficient_user_authentication"' in challenge
        else:
            assert challenge is None
    if problem.status >= 500:
        assert SECRET not in problem.body.decode() and SECRET.encode() not in b"".join(
            value for _, value in problem.headers
        )


def test_a_rejected_token_renders_the_verifiers_precise_code():
    problem = ProblemRenderer("api").render(TokenRejected(TokenExpired()))
    assert headers_of(problem)[b"www-authenticate"] == (
        b'Bearer realm="api", error="invalid_token", error_description="the token has expired"'
    )
    assert json.loads(problem.body) == {
        "type": "https://jotauth.dev/problems/expired",
        "title": "Invalid token",
        "status": 401,
        "detail": "the token has expired",
        "code": "expired",
    }


def test_attacker_controlled_detail_cannot_break_the_header():
    hostile = 'x", error="none\\\r\nSet-Cookie: a=b ' + "é" * 500
    problem = ProblemRenderer().render(TokenRejected(UnsupportedAlgorithm(hostile)))
    value = headers_of(problem)[b"www-authenticate"].decode("ascii")
    description = value.split('error_description="', 1)[1]
    assert description.count('"') == 1 and description.endswith('"')
    assert "\r" not in value and "\n" not in value and "\\" not in value
    assert len(description) <= 201
    assert json.loads(problem.body)["detail"] == hostile  # the body is JSON-escaped, intact


def test_a_hostile_realm_cannot_break_the_header():
    problem = ProblemRenderer('a"b\r\n').render_code(C.MISSING_TOKEN)
    assert headers_of(problem)[b"www-authenticate"] == b'Bearer realm="a?b??"'


def test_insufficient_scope_challenge_lists_the_scopes():
    problem = ProblemRenderer().render(InsufficientScope(scopes=("lessons:write", "lessons:read")))
    assert problem.status == 403
    assert headers_of(problem)[b"www-authenticate"] == (
        b'Bearer realm="jotauth", error="insufficient_scope", error_description="The access '
        b'token does not grant access to this resource.", scope="lessons:write lessons:read"'
    )


def test_insufficient_user_authentication_carries_rfc_9470_max_age_only_when_asked():
    recent = ProblemRenderer().render(InsufficientUserAuthentication("Sign in again.", max_age=300))
    assert recent.status == 403 and recent.code == "insufficient_user_authentication"
    assert headers_of(recent)[b"www-authenticate"] == (
        b'Bearer realm="jotauth", error="insufficient_user_authentication", '
        b'error_description="Sign in again.", max_age="300"'
    )
    stronger = ProblemRenderer().render(InsufficientUserAuthentication("Use a second factor."))
    value = headers_of(stronger)[b"www-authenticate"]
    assert value.endswith(b'error_description="Use a second factor."')
    assert b"max_age" not in value and b"acr_values" not in value


def test_step_up_challenge_names_the_max_age_rfc_9470():
    from jotauth.errors import InsufficientUserAuthentication

    problem = ProblemRenderer("jotauth").render(InsufficientUserAuthentication(max_age=600))
    assert problem.status == 403
    assert headers_of(problem)[b"www-authenticate"] == (
        b'Bearer realm="jotauth", error="insufficient_user_authentication", '
        b'error_description="A more recent authentication is required: sign in again to '
        b'continue.", max_age="600"'
    )


def test_throttling_tells_when_to_retry():
    problem = ProblemRenderer().render(LoginThrottled(retry_after=41))
    assert problem.status == 429 and headers_of(problem)[b"retry-after"] == b"41"
    assert headers_of(ProblemRenderer().render_code(C.TOO_MANY_ATTEMPTS))[b"retry-after"] == b"60"


def test_the_status_can_be_overridden_for_framework_http_errors_only_in_the_document():
    problem = ProblemRenderer().render_code(C.HTTP_ERROR, "nope", status=406)
    assert problem.status == 406 and json.loads(problem.body)["status"] == 406
