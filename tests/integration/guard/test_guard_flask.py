"""The Flask extension over real HTTP (werkzeug on loopback) with a SyncJWKSClient."""

from collections.abc import Iterator

import httpx
import pytest
from flask import Flask, jsonify

from jotauth.guard import CsrfPolicy
from jotauth.guard.flask import JotAuth, current_user, jwt_required
from jotauth.http.csrf import csrf_key, session_csrf_token
from jotauth.verify import SyncJWKSClient, TokenVerifier
from tests.integration.guard.guard_harness import AUDIENCE, CSRF_SECRET, ISSUER, served_wsgi
from tests.support.problems import challenge
from tests.support.tokens import bearer


def create_flask_app(jwks_url: str) -> Flask:
    app = Flask(__name__)
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=SyncJWKSClient(jwks_url))
    JotAuth(app, verifier=verifier, cookie_name="jot_access", csrf=CsrfPolicy(secret=CSRF_SECRET))

    @app.get("/api/lessons")
    @jwt_required()
    def lessons():
        return jsonify(sub=current_user.sub)

    @app.post("/api/lessons")
    @jwt_required(scopes=("lessons:write",))
    def add_lesson():
        return jsonify(created_by=current_user.sub), 201

    @app.get("/api/admin/stats")
    @jwt_required(roles=("admin",))
    def stats():
        return jsonify(admin=True)

    @app.get("/api/bare")
    @jwt_required  # without parentheses, as flask-jwt-extended users write it
    def bare():
        return jsonify(sub=current_user.sub)

    @app.get("/home")
    @jwt_required(optional=True)
    def home():
        return jsonify(sub=current_user.sub if current_user else None)

    return app


@pytest.fixture(scope="module")
def flask_server(jwks_url: str) -> Iterator[str]:
    with served_wsgi(create_flask_app(jwks_url)) as url:
        yield url


def test_valid_token_sets_current_user(flask_server, mint):
    response = httpx.get(flask_server + "/api/lessons", headers=bearer(mint.token(sub="flask")))
    assert response.json() == {"sub": "flask"}


def test_the_decorator_works_without_parentheses(flask_server, mint):
    response = httpx.get(flask_server + "/api/bare", headers=bearer(mint.token(sub="bare")))
    assert response.json() == {"sub": "bare"}
    assert httpx.get(flask_server + "/api/bare").status_code == 401


def test_missing_token_is_401_problem_with_a_bare_challenge(flask_server):
    response = httpx.get(flask_server + "/api/lessons")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert challenge(response) == 'Bearer realm="jotauth"'


def test_expired_and_forged_tokens_are_401_invalid_token(flask_server, mint):
    expired = httpx.get(flask_server + "/api/lessons", headers=bearer(mint.token(exp=1000)))
    assert expired.status_code == 401 and expired.json()["code"] == "expired"
    assert 'error="invalid_token"' in challenge(expired)
    forged = httpx.get(flask_server + "/api/lessons", headers=bearer(mint.token()[:-4] + "AAAA"))
    assert forged.status_code == 401


def test_malformed_header_is_400(flask_server):
    response = httpx.get(flask_server + "/api/lessons", headers={"Authorization": "Bearer a b"})
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_authorization"
    assert 'error="invalid_request"' in response.headers["www-authenticate"]


def test_scopes_and_roles(flask_server, mint):
    no_scope = httpx.post(flask_server + "/api/lessons", headers=bearer(mint.token()))
    assert no_scope.status_code == 403
    assert 'scope="lessons:write"' in challenge(no_scope)
    with_scope = httpx.post(
        flask_server + "/api/lessons", headers=bearer(mint.token(scope="lessons:write"))
    )
    assert with_scope.status_code == 201
    assert (
        httpx.get(flask_server + "/api/admin/stats", headers=bearer(mint.token())).status_code
        == 403
    )
    admin = httpx.get(
        flask_server + "/api/admin/stats", headers=bearer(mint.token(roles=["admin"]))
    )
    assert admin.status_code == 200


def test_cookie_post_needs_the_session_bound_xsrf_token(flask_server, mint):
    token = mint.token(sid="s-9", scope="lessons:write")
    xsrf = session_csrf_token(csrf_key(CSRF_SECRET), "s-9")
    cookie = f"jot_access={token}; XSRF-TOKEN={xsrf}"
    refused = httpx.post(flask_server + "/api/lessons", headers={"Cookie": cookie})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    accepted = httpx.post(
        flask_server + "/api/lessons", headers={"Cookie": cookie, "X-XSRF-TOKEN": xsrf}
    )
    assert accepted.status_code == 201


def test_optional_route_serves_anonymous_users_but_rejects_bad_tokens(flask_server, mint):
    assert httpx.get(flask_server + "/home").json() == {"sub": None}
    assert httpx.get(flask_server + "/home", headers=bearer(mint.token(sub="o"))).json() == {
        "sub": "o"
    }
    assert httpx.get(flask_server + "/home", headers=bearer("x.y.z")).status_code == 401
