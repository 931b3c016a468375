"""The lessons example API over real HTTP: any user reads, ``lessons:write`` writes,
role ``admin`` sees the stats; per-route protection without the middleware."""

from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI

from jotauth.guard.fastapi import JWTBearer, install_problem_handler
from jotauth.jose import Claims
from jotauth.verify import JWKSClient, TokenVerifier
from tests.integration.guard.guard_harness import AUDIENCE, ISSUER, served
from tests.support.problems import challenge
from tests.support.tokens import bearer


def test_any_logged_in_user_lists_lessons(lessons, mint):
    response = httpx.get(lessons.url + "/api/lessons", headers=bearer(mint.token(scope="")))
    assert response.status_code == 200
    assert len(response.json()) >= 4


def test_listing_lessons_without_a_token_is_401(lessons):
    response = httpx.get(lessons.url + "/api/lessons")
    assert response.status_code == 401
    assert challenge(response) == 'Bearer realm="jotauth"'


def test_adding_a_lesson_without_the_write_scope_is_403_insufficient_scope(lessons, mint):
    response = httpx.post(
        lessons.url + "/api/lessons",
        json={"title": "Forged lesson"},
        headers=bearer(mint.token(scope="lessons:read")),
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "insufficient_scope"
    assert challenge(response).startswith('Bearer realm="jotauth", error="insufficient_scope"')
    assert 'scope="lessons:write"' in challenge(response)


def test_adding_a_lesson_with_the_write_scope_is_201(lessons, mint):
    token = mint.token(sub="writer", scope="lessons:read lessons:write")
    response = httpx.post(
        lessons.url + "/api/lessons", json={"title": "Guards"}, headers=bearer(token)
    )
    assert response.status_code == 201
    assert response.json()["author"] == "writer"
    titles = [
        lesson["title"]
        for lesson in httpx.get(lessons.url + "/api/lessons", headers=bearer(token)).json()
    ]
    assert "Guards" in titles


def test_admin_stats_need_the_admin_role(lessons, mint):
    user = httpx.get(lessons.url + "/api/admin/stats", headers=bearer(mint.token(roles=["user"])))
    assert user.status_code == 403
    assert user.json()["code"] == "insufficient_scope"
    admin = httpx.get(
        lessons.url + "/api/admin/stats", headers=bearer(mint.token(sub="root", roles=["admin"]))
    )
    assert admin.status_code == 200
    assert admin.json()["requested_by"] == "root"


def test_scope_named_like_a_role_grants_no_role(lessons, mint):
    response = httpx.get(
        lessons.url + "/api/admin/stats", headers=bearer(mint.token(scope="admin", roles=[]))
    )
    assert response.status_code == 403


def test_invalid_lesson_body_is_a_4xx_problem_not_a_500(lessons, mint):
    token = mint.token(scope="lessons:write")
    response = httpx.post(lessons.url + "/api/lessons", content=b"{not json", headers=bearer(token))
    assert 400 <= response.status_code < 500


def per_route_app(jwks_url: str) -> FastAPI:
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=JWKSClient(jwks_url))
    check_if_authenticated = JWTBearer(verifier=verifier, cookie_name="jot_access")
    maybe_user = JWTBearer(verifier=verifier, required=False)
    app = FastAPI()

    @app.get("/api/lessons")
    async def lessons(user: Annotated[Claims, Depends(check_if_authenticated)]) -> dict[str, Any]:
        return {"sub": user.sub}

    @app.get("/api/admin", dependencies=[Depends(check_if_authenticated.require_roles("admin"))])
    async def admin() -> dict[str, bool]:
        return {"admin": True}

    @app.get("/home")
    async def home(user: Annotated[Claims | None, Depends(maybe_user)]) -> dict[str, Any]:
        return {"sub": user.sub if user else None}

    @app.get("/unguarded")
    async def unguarded() -> dict[str, bool]:
        return {"ok": True}

    install_problem_handler(app)
    return app


def test_per_route_dependency_protects_without_the_middleware(jwks_url, mint):
    with served(per_route_app(jwks_url)) as server:
        assert httpx.get(server.url + "/unguarded").status_code == 200
        missing = httpx.get(server.url + "/api/lessons")
        assert missing.status_code == 401
        assert missing.headers["content-type"] == "application/problem+json"
        ok = httpx.get(server.url + "/api/lessons", headers=bearer(mint.token(sub="bob")))
        assert ok.json() == {"sub": "bob"}
        cookie = httpx.get(
            server.url + "/api/lessons", headers={"Cookie": f"jot_access={mint.token()}"}
        )
        assert cookie.status_code == 200
        expired = httpx.get(server.url + "/api/lessons", headers=bearer(mint.token(exp=1000)))
        assert expired.status_code == 401
        assert expired.json()["code"] == "expired"
        not_admin = httpx.get(server.url + "/api/admin", headers=bearer(mint.token()))
        assert not_admin.status_code == 403
        admin = httpx.get(server.url + "/api/admin", headers=bearer(mint.token(roles=["admin"])))
        assert admin.status_code == 200


def test_optional_per_route_dependency_allows_anonymous_but_not_bad_tokens(jwks_url, mint):
    with served(per_route_app(jwks_url)) as server:
        assert httpx.get(server.url + "/home").json() == {"sub": None}
        assert httpx.get(server.url + "/home", headers=bearer(mint.token(sub="c"))).json() == {
            "sub": "c"
        }
        assert httpx.get(server.url + "/home", headers=bearer("bad.token.x")).status_code == 401
