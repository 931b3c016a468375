"""The guard's errors as the shared renderer draws them, and the raw ASGI adapter."""

import json

import httpx
from fastapi import FastAPI
from flask import Flask

from jotauth.guard import (
    CsrfFailed,
    GuardError,
    InsufficientScope,
    KeysUnavailable,
    MalformedAuthorization,
    MissingCredentials,
    RefreshFailed,
)
from jotauth.guard.fastapi import install_problem_handler
from jotauth.guard.flask import JotAuth
from jotauth.guard.problems import send_problem
from jotauth.jose import TokenExpired
from jotauth.problems import ProblemRenderer
from jotauth.verify import TokenVerifier


def headers_of(error: GuardError) -> dict[bytes, bytes]:
    return dict(ProblemRenderer("jotauth").render(error).headers)


def test_no_credentials_gets_a_bare_challenge():
    assert headers_of(MissingCredentials())[b"www-authenticate"] == b'Bearer realm="jotauth"'


def test_malformed_header_is_400_malformed_authorization_with_an_invalid_request_challenge():
    problem = ProblemRenderer().render(MalformedAuthorization())
    assert problem.status == 400
    assert json.loads(problem.body)["code"] == "malformed_authorization"
    assert b'error="invalid_request"' in dict(problem.headers)[b"www-authenticate"]


def test_csrf_failure_has_no_challenge_and_outage_has_retry_after():
    assert b"www-authenticate" not in headers_of(CsrfFailed())
    outage = headers_of(KeysUnavailable())
    assert b"www-authenticate" not in outage and outage[b"retry-after"] == b"5"


def test_a_refused_refresh_tells_why_with_a_token_challenge():
    problem = ProblemRenderer().render(RefreshFailed(code="session_revoked"))
    assert problem.status == 401 and json.loads(problem.body)["code"] == "session_revoked"
    assert dict(problem.headers)[b"www-authenticate"].startswith(
        b'Bearer realm="jotauth", error="invalid_token"'
    )


def test_every_problem_is_problem_json_and_not_cacheable():
    for error in (MissingCredentials(), CsrfFailed(), KeysUnavailable(), InsufficientScope()):
        headers = headers_of(error)
        assert headers[b"content-type"] == b"application/problem+json"
        assert headers[b"cache-control"] == b"no-store"


async def test_send_problem_sends_start_then_body_with_the_extra_headers():
    sent = []

    async def send(message):
        sent.append(message)

    problem = ProblemRenderer().render(MissingCredentials())
    await send_problem(send, problem, [(b"set-cookie", b"a=; Max-Age=0")])
    start, body = sent
    assert start["status"] == 401
    assert (b"set-cookie", b"a=; Max-Age=0") in start["headers"]
    assert start["headers"][: len(problem.headers)] == list(problem.headers)
    assert body == {"type": "http.response.body", "body": problem.body}


async def test_the_fastapi_handler_renders_any_jotauth_error_not_only_the_guards():
    app = FastAPI()

    @app.get("/verify-by-hand")
    async def verify_by_hand() -> None:
        raise TokenExpired()  # a route calling the verifier itself: a 401, never a 500

    install_problem_handler(app, realm="lessons")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/verify-by-hand")
    assert response.status_code == 401 and response.json()["code"] == "expired"
    assert response.headers["www-authenticate"].startswith(
        'Bearer realm="lessons", error="invalid_token"'
    )
    assert response.headers["cache-control"] == "no-store"


def test_the_flask_adapter_sends_what_the_renderer_draws():
    verifier = TokenVerifier(issuer="https://auth.test", audience="api", keys={"keys": []})
    extension = JotAuth(Flask(__name__), verifier=verifier, realm="lessons")
    response = extension.problem_response(InsufficientScope(scopes=("lessons:write",)))
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"].endswith('scope="lessons:write"')
    assert response.get_json()["code"] == "insufficient_scope"
