"""The JSON API of DESIGN §5 on a real store: login, delivery, refresh rotation, logout."""

import asyncio

import httpx
import jwt
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from jotauth import jose
from tests.integration.server.server_harness import (
    APP_ORIGIN,
    PASSWORD,
    Server,
    server_settings,
    start_server,
)
from tests.support.problems import assert_problem


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers by cookie name, without the (time-dependent) Expires attribute."""
    headers = {}
    for header in response.headers.get_list("set-cookie"):
        name = header.split("=", 1)[0]
        headers[name] = "; ".join(p for p in header.split("; ") if not p.startswith("Expires="))
    return headers


def refresh_token_of(response: httpx.Response) -> str:
    return set_cookies(response)["__Host-jot_refresh"].split(";")[0].split("=", 1)[1]


# RFC 6750 §3.1: no credentials sent (or a wrong password, which is no token): a bare challenge.
BARE_CHALLENGE_CODES = {"missing_token", "missing_refresh_token", "invalid_credentials"}


def problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    body: dict[str, object] = assert_problem(response, status, code)
    if status == 401:
        challenge = response.headers["www-authenticate"]
        if code in BARE_CHALLENGE_CODES:
            assert challenge == 'Bearer realm="jotauth"'
        else:
            assert challenge.startswith('Bearer realm="jotauth", error="invalid_token", ')
            assert 'error_description="' in challenge
    return body


# --- login and delivery ------------------------------------------------------------------------


async def test_cookie_login_sets_access_refresh_and_xsrf_cookies_with_exact_flags(
    server: Server,
) -> None:
    await server.add_user()
    response = await server.login(delivery="cookie")
    assert response.status_code == 204
    assert response.headers["cache-control"] == "no-store"
    cookies = set_cookies(response)
    assert set(cookies) == {"__Host-jot_access", "__Host-jot_refresh", "XSRF-TOKEN"}
    access = server.client.cookies["__Host-jot_access"]
    refresh = server.client.cookies["__Host-jot_refresh"]
    xsrf = server.client.cookies["XSRF-TOKEN"]
    ttl = server.context.settings.refresh_idle_ttl
    assert cookies["__Host-jot_access"] == (
        f"__Host-jot_access={access}; Path=/; Max-Age=900; Secure; HttpOnly; SameSite=Lax"
    )
    assert cookies["__Host-jot_refresh"] in {
        f"__Host-jot_refresh={refresh}; Path=/; Max-Age={age}; Secure; HttpOnly; SameSite=Strict"
        for age in (ttl, ttl - 1)
    }
    assert cookies["XSRF-TOKEN"] in {
        f"XSRF-TOKEN={xsrf}; Path=/; Max-Age={age}; Secure; SameSite=Lax" for age in (ttl, ttl - 1)
    }
    claims = server.context.verifier.verify(access)
    assert xsrf == server.context.csrf.token_for_session(claims.sid or "")


async def test_body_login_returns_the_access_token_and_keeps_refresh_in_an_httponly_cookie(
    server: Server,
) -> None:
    user_id = await server.add_user(roles=["teacher"], scope=["api/read", "api/buy"])
    response = await server.login(delivery="body")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "expires_at"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    cookies = set_cookies(response)
    assert set(cookies) == {"__Host-jot_refresh", "XSRF-TOKEN"}
    assert "HttpOnly" in cookies["__Host-jot_refresh"]

    header, claims = jose.decode_unverified(body["access_token"])
    assert header == {"alg": "ES256", "kid": server.context.keys.signing_key().kid, "typ": "at+jwt"}
    assert set(claims) == {
        "iss", "sub", "aud", "exp", "iat", "jti", "sid", "scope", "roles", "amr", "auth_time"
    }  # fmt: skip
    # How and when the user authenticated (RFC 8176, RFC 9068 §2.2.1): a password, just now.
    assert claims["amr"] == ["pwd"] and claims["auth_time"] == claims["iat"]
    assert claims["iss"] == "https://auth.example.test" and claims["aud"] == "lessons"
    assert claims["sub"] == user_id and claims["roles"] == ["teacher"]
    assert claims["scope"] == "api/buy api/read"
    assert claims["exp"] - claims["iat"] == 900 == body["expires_at"] - claims["iat"]


async def test_the_servers_own_endpoints_take_only_at_jwt_even_with_its_own_key(
    server: Server,
) -> None:
    # DESIGN §11, RFC 8725 §3.11: guards accept typ JWT from other issuers; the auth server's
    # endpoints do not, so an ID token (typ JWT) signed by the same key is never an access token.
    await server.add_user()
    token = (await server.login(delivery="body")).json()["access_token"]
    _, claims = jose.decode_unverified(token)
    key = server.context.keys.signing_key()
    for typ in ("JWT", None):
        retyped = jose.encode(claims, key, typ=typ)
        me = await server.client.get("/api/auth/me", headers={"Authorization": f"Bearer {retyped}"})
        assert_problem(me, 401, "bad_type")
    me = await server.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200


async def test_access_tokens_verify_with_a_standard_library_from_the_jwks(server: Server) -> None:
    await server.add_user()
    token = (await server.login(delivery="body")).json()["access_token"]
    jwks = (await server.client.get("/.well-known/jwks.json")).json()
    key = jwt.PyJWKSet.from_dict(jwks)[jose.decode_unverified(token)[0]["kid"]]
    claims = jwt.decode(
        token, key.key, algorithms=["ES256"], audience="lessons", issuer="https://auth.example.test"
    )
    assert claims["sid"]


async def test_native_client_gets_the_refresh_token_in_the_body_and_no_cookies(
    server: Server,
) -> None:
    await server.add_user()
    response = await server.login(delivery="body", client="native")
    assert response.status_code == 200
    assert "set-cookie" not in response.headers
    first = response.json()["refresh_token"]
    refreshed = await server.client.post("/api/auth/refresh", json={"refresh_token": first})
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["refresh_token"] != first
    assert "set-cookie" not in refreshed.headers


async def test_wrong_password_and_unknown_user_get_the_same_401(server: Server) -> None:
    await server.add_user()
    wrong = await server.login(password="not the password at all")
    unknown = await server.login(email="nobody@example.org")
    assert problem(wrong, 401, "invalid_credentials") == problem(
        unknown, 401, "invalid_credentials"
    )
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"]


async def test_wrong_login_password_is_not_a_token_error(server: Server) -> None:
    # A 401 must carry a challenge, but the client sent no token: telling it its token is
    # invalid would make it refresh or log out (RFC 6750 §3.1).
    await server.add_user()
    response = await server.login(password="not the password at all")
    problem(response, 401, "invalid_credentials")
    assert response.headers["www-authenticate"] == 'Bearer realm="jotauth"'
    assert "invalid_token" not in response.headers["www-authenticate"]


async def test_too_many_attempts_are_throttled_with_retry_after(server: Server) -> None:
    await server.add_user()
    for _ in range(5):
        await server.login(password="wrong password guess")
    response = await server.login()
    problem(response, 429, "too_many_attempts")
    assert int(response.headers["retry-after"]) >= 1


async def test_login_from_a_foreign_origin_is_refused(server: Server) -> None:
    await server.add_user()
    body = {"email": "ada@example.org", "password": PASSWORD}
    evil = await server.client.post(
        "/api/auth/login", json=body, headers={"Origin": "https://evil.example"}
    )
    problem(evil, 403, "origin_not_allowed")
    null = await server.client.post("/api/auth/login", json=body, headers={"Origin": "null"})
    problem(null, 403, "origin_not_allowed")
    allowed = await server.client.post("/api/auth/login", json=body, headers={"Origin": APP_ORIGIN})
    assert allowed.status_code == 204


# --- /me -----------------------------------------------------------------------------------------


async def test_me_accepts_the_bearer_token_and_the_access_cookie(server: Server) -> None:
    user_id = await server.add_user(name="Ada", roles=["admin"], scope=["api/read"])
    token = (await server.login(delivery="body")).json()["access_token"]
    by_bearer = await server.client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {token}"}
    )
    auth_time = jose.decode_unverified(token)[1]["auth_time"]
    assert by_bearer.json() == {
        "id": user_id,
        "email": "ada@example.org",
        "email_verified": False,
        "name": "Ada",
        "roles": ["admin"],
        "scope": "api/read",
        "identities": [],  # no other identity provider linked (DESIGN §14)
        "has_password": True,
        # DESIGN §13: no second factor; this session signed in with a password, then.
        "second_factors": [],
        "amr": ["pwd"],
        "auth_time": auth_time,
    }
    await server.login(delivery="cookie")
    by_cookie = await server.client.get("/api/auth/me")
    assert by_cookie.status_code == 200 and by_cookie.json()["id"] == user_id
    assert by_cookie.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("authorization", ["Bearer", "Bearer ", "Bearer a b", "Bearer a,b"])
async def test_a_malformed_authorization_header_is_400_invalid_request(
    sqlite_server: Server, authorization: str
) -> None:
    response = await sqlite_server.client.get(
        "/api/auth/me", headers={"Authorization": authorization}
    )
    problem(response, 400, "malformed_authorization")
    assert 'error="invalid_request"' in response.headers["www-authenticate"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic YWRhOnB3", "Bearer not.a.token", "Bearer " + "a" * 9000],
)
async def test_me_without_a_valid_token_is_401_with_a_bearer_challenge(
    sqlite_server: Server, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await sqlite_server.client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith('Bearer realm="jotauth"')


async def test_me_without_any_token_is_missing_token_with_the_bare_challenge(
    sqlite_server: Server,
) -> None:
    response = await sqlite_server.client.get("/api/auth/me")
    problem(response, 401, "missing_token")
    assert response.headers["www-authenticate"] == 'Bearer realm="jotauth"'


async def test_me_with_an_unverifiable_token_names_invalid_token(sqlite_server: Server) -> None:
    response = await sqlite_server.client.get(
        "/api/auth/me", headers={"Authorization": "Bearer not.a.token"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith(
        'Bearer realm="jotauth", error="invalid_token", error_description="'
    )
    assert response.json()["code"] == "bad_base64"


async def test_expired_access_token_is_401(server: Server) -> None:
    await server.add_user()
    token = (await server.login(delivery="body")).json()["access_token"]
    server.clock.advance(900 + 31)
    response = await server.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    problem(response, 401, "expired")


# --- refresh -------------------------------------------------------------------------------------


async def test_refresh_rotates_the_refresh_cookie_and_issues_a_new_access_token(
    server: Server,
) -> None:
    await server.add_user()
    await server.login()
    old_refresh = server.client.cookies["__Host-jot_refresh"]
    old_access = server.client.cookies["__Host-jot_access"]
    response = await server.client.post("/api/auth/refresh", headers=server.xsrf())
    assert response.status_code == 204, response.text
    assert set(set_cookies(response)) == {"__Host-jot_access", "__Host-jot_refresh", "XSRF-TOKEN"}
    assert server.client.cookies["__Host-jot_refresh"] != old_refresh
    assert server.client.cookies["__Host-jot_access"] != old_access
    old_sid = server.context.verifier.verify(old_access).sid
    assert server.context.verifier.verify(server.client.cookies["__Host-jot_access"]).sid == old_sid


async def test_refresh_in_body_delivery_returns_json(server: Server) -> None:
    await server.add_user()
    await server.login(delivery="body")
    response = await server.client.post(
        "/api/auth/refresh", json={"delivery": "body"}, headers=server.xsrf()
    )
    assert response.status_code == 200
    assert set(response.json()) == {"access_token", "token_type", "expires_in", "expires_at"}


async def test_body_refresh_from_an_allowlisted_origin_needs_no_xsrf_header(
    server: Server,
) -> None:
    await server.add_user()
    await server.login(delivery="body")
    body = {"delivery": "body"}
    no_origin = await server.client.post("/api/auth/refresh", json=body)
    problem(no_origin, 403, "csrf_failed")
    evil = await server.client.post(
        "/api/auth/refresh", json=body, headers={"Origin": "https://evil.example"}
    )
    problem(evil, 403, "csrf_failed")
    cookie_delivery = await server.client.post(
        "/api/auth/refresh", json={"delivery": "cookie"}, headers={"Origin": APP_ORIGIN}
    )
    problem(cookie_delivery, 403, "csrf_failed")
    allowed = await server.client.post(
        "/api/auth/refresh", json=body, headers={"Origin": APP_ORIGIN}
    )
    assert allowed.status_code == 200 and "access_token" in allowed.json()
    assert "__Host-jot_access" not in set_cookies(allowed)


async def test_refresh_reuse_after_grace_revokes_session(server: Server) -> None:
    await server.add_user()
    await server.login()
    stolen = server.client.cookies["__Host-jot_refresh"]
    xsrf = server.xsrf()
    assert (await server.client.post("/api/auth/refresh", headers=xsrf)).status_code == 204
    # The holder moved on past the stolen token's successor: the stolen one is now reuse.
    assert (await server.client.post("/api/auth/refresh", headers=xsrf)).status_code == 204
    server.clock.advance(11)
    replay = await server.post_with_cookies(
        "/api/auth/refresh",
        {"__Host-jot_refresh": stolen, "XSRF-TOKEN": xsrf["X-XSRF-TOKEN"]},
        xsrf,
    )
    problem(replay, 401, "refresh_reused")
    # The legitimate holder's newer token is dead too: the whole session was revoked.
    server.client.cookies.delete("__Host-jot_refresh")
    after = await server.client.post("/api/auth/refresh", headers=xsrf)
    assert after.status_code == 401


async def test_reuse_within_grace_continues_the_same_session(server: Server) -> None:
    await server.add_user()
    await server.login()
    first = server.client.cookies["__Host-jot_refresh"]
    xsrf = server.xsrf()
    one = await server.client.post("/api/auth/refresh", headers=xsrf)
    server.clock.advance(3)
    two = await server.post_with_cookies(
        "/api/auth/refresh", {"__Host-jot_refresh": first, "XSRF-TOKEN": xsrf["X-XSRF-TOKEN"]}, xsrf
    )
    assert one.status_code == two.status_code == 204
    assert refresh_token_of(one) == refresh_token_of(two)


async def test_twenty_concurrent_refreshes_with_one_token_all_succeed_in_one_session(
    server: Server,
) -> None:
    await server.add_user()
    await server.login(delivery="body")
    token = server.client.cookies["__Host-jot_refresh"]
    xsrf = server.xsrf()
    cookies = {"__Host-jot_refresh": token, "XSRF-TOKEN": xsrf["X-XSRF-TOKEN"]}
    responses = await asyncio.gather(
        *(
            server.post_with_cookies("/api/auth/refresh", cookies, xsrf, json={"delivery": "body"})
            for _ in range(20)
        )
    )
    assert [r.status_code for r in responses] == [200] * 20
    sids = {server.context.verifier.verify(r.json()["access_token"]).sid for r in responses}
    assert len(sids) == 1
    heads = {refresh_token_of(r) for r in responses}
    assert len(heads) == 1
    # Whichever response the browser kept, its refresh token still works.
    again = await server.post_with_cookies(
        "/api/auth/refresh", {**cookies, "__Host-jot_refresh": heads.pop()}, xsrf
    )
    assert again.status_code == 204


async def test_refresh_without_any_token_is_401_with_the_bare_challenge(
    sqlite_server: Server,
) -> None:
    response = await sqlite_server.client.post("/api/auth/refresh")
    problem(response, 401, "missing_refresh_token")


async def test_refresh_with_an_unknown_token_is_401(sqlite_server: Server) -> None:
    response = await sqlite_server.client.post(
        "/api/auth/refresh", json={"refresh_token": "x" * 43}
    )
    problem(response, 401, "invalid_refresh_token")


async def test_refresh_of_a_disabled_user_is_401(server: Server) -> None:
    user_id = await server.add_user()
    await server.login()
    await server.context.users.disable_user(user_id)
    response = await server.client.post("/api/auth/refresh", headers=server.xsrf())
    assert response.status_code == 401


async def test_refresh_answers_503_not_401_when_the_store_is_unreachable(server: Server) -> None:
    await server.add_user()
    await server.login()
    store = server.context.store
    working, units = store._engine, store._units
    store._engine = create_async_engine(
        "postgresql+asyncpg://postgres@127.0.0.1:1/none", connect_args={"timeout": 1}
    )
    store._units = None  # the units of work then go through the (unreachable) engine too
    try:
        response = await server.client.post("/api/auth/refresh", headers=server.xsrf())
        body = problem(response, 503, "store_unavailable")
        assert "127.0.0.1" not in str(body) and "asyncpg" not in str(body)
        assert "set-cookie" not in response.headers
        assert (await server.client.get("/readyz")).status_code == 503
    finally:
        await store._engine.dispose()
        store._engine, store._units = working, units
    assert (await server.client.post("/api/auth/refresh", headers=server.xsrf())).status_code == 204


# --- CSRF on cookie-authenticated requests -----------------------------------------------------


@pytest.mark.parametrize("path", ["/api/auth/refresh", "/api/auth/logout", "/api/auth/logout-all"])
async def test_cookie_requests_without_the_xsrf_header_are_403(server: Server, path: str) -> None:
    await server.add_user()
    await server.login()
    problem(await server.client.post(path), 403, "csrf_failed")
    wrong = await server.client.post(path, headers={"X-XSRF-TOKEN": "forged"})
    problem(wrong, 403, "csrf_failed")
    # Nothing happened: the session still works.
    assert (await server.client.get("/api/auth/me")).status_code == 200
    assert (await server.client.post("/api/auth/refresh", headers=server.xsrf())).status_code == 204


async def test_xsrf_token_of_another_session_is_refused(server: Server) -> None:
    await server.add_user()
    await server.login()
    async with server.browser() as other:
        await other.post("/api/auth/login", json={"email": "ada@example.org", "password": PASSWORD})
        foreign = other.cookies["XSRF-TOKEN"]
    planted = {"X-XSRF-TOKEN": foreign}
    server.client.cookies.set("XSRF-TOKEN", foreign, domain="auth.example.test")
    problem(await server.client.post("/api/auth/logout-all", headers=planted), 403, "csrf_failed")
    password = await server.client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "another long passphrase"},
        headers=planted,
    )
    problem(password, 403, "csrf_failed")
    refresh = await server.client.post("/api/auth/refresh", headers=planted)
    problem(refresh, 403, "csrf_failed")
    assert "__Host-jot_access" not in set_cookies(refresh)  # no access token for a forgery


async def test_bearer_requests_need_no_xsrf_header(server: Server) -> None:
    await server.add_user()
    token = (await server.login(delivery="body", client="native")).json()["access_token"]
    async with server.browser() as api:
        response = await api.post(
            "/api/auth/logout-all", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 204


# --- logout, sessions, password ------------------------------------------------------------------


async def test_logout_clears_every_auth_cookie_and_ends_the_session(server: Server) -> None:
    await server.add_user()
    await server.login()
    refresh = server.client.cookies["__Host-jot_refresh"]
    xsrf = server.xsrf()
    response = await server.client.post("/api/auth/logout", headers=xsrf)
    assert response.status_code == 204
    cleared = set_cookies(response)
    assert cleared == {
        "__Host-jot_access": (
            "__Host-jot_access=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"
        ),
        "__Host-jot_refresh": (
            "__Host-jot_refresh=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict"
        ),
        "XSRF-TOKEN": "XSRF-TOKEN=; Path=/; Max-Age=0; Secure; SameSite=Lax",
    }
    assert not server.client.cookies
    assert (await server.client.get("/api/auth/me")).status_code == 401
    replay = await server.client.post(
        "/api/auth/refresh", json={"refresh_token": refresh}, headers=xsrf
    )
    problem(replay, 401, "session_revoked")


async def test_logout_without_a_session_is_a_harmless_204(sqlite_server: Server) -> None:
    response = await sqlite_server.client.post("/api/auth/logout")
    assert response.status_code == 204
    assert len(response.headers.get_list("set-cookie")) == 3


async def test_logout_with_an_expired_access_cookie_ends_the_session_via_the_refresh_cookie(
    server: Server,
) -> None:
    await server.add_user()
    await server.login()
    refresh = server.client.cookies["__Host-jot_refresh"]
    server.clock.advance(900 + 31)
    assert (await server.client.post("/api/auth/logout", headers=server.xsrf())).status_code == 204
    server.clock.advance(11)
    replay = await server.client.post("/api/auth/refresh", json={"refresh_token": refresh})
    assert replay.status_code == 401


async def test_a_refused_logout_through_the_refresh_cookie_rotates_nothing(
    server: Server,
) -> None:
    """Every 4xx leaves state as it was: a logout whose XSRF value equals the cookie but is
    not bound to the session is refused before the refresh token is touched."""
    await server.add_user()
    await server.login()
    refresh = server.client.cookies["__Host-jot_refresh"]
    bound = server.client.cookies["XSRF-TOKEN"]
    server.clock.advance(900 + 31)  # the access cookie expired: logout goes by refresh cookie
    unbound = "an-equal-but-unbound-value"
    server.client.cookies.set("XSRF-TOKEN", unbound, domain="auth.example.test")
    refused = await server.client.post("/api/auth/logout", headers={"X-XSRF-TOKEN": unbound})
    problem(refused, 403, "csrf_failed")
    assert server.client.cookies["__Host-jot_refresh"] == refresh
    # Far past the grace window: had the logout rotated the token, this would be reuse.
    server.clock.advance(60)
    server.client.cookies.set("XSRF-TOKEN", bound, domain="auth.example.test")
    response = await server.client.post("/api/auth/refresh", headers={"X-XSRF-TOKEN": bound})
    assert response.status_code == 204, response.text


async def test_logout_all_ends_every_session_of_the_user(server: Server) -> None:
    await server.add_user()
    await server.login()
    async with server.browser() as phone:
        await phone.post("/api/auth/login", json={"email": "ada@example.org", "password": PASSWORD})
        response = await server.client.post("/api/auth/logout-all", headers=server.xsrf())
        assert response.status_code == 204
        assert len(response.headers.get_list("set-cookie")) == 3
        phone_refresh = await phone.post("/api/auth/refresh", headers=server.xsrf(phone))
        problem(phone_refresh, 401, "session_revoked")


async def test_sessions_are_listed_and_can_be_revoked_one_by_one(server: Server) -> None:
    await server.add_user()
    await server.login()
    async with server.browser() as phone:
        await phone.post(
            "/api/auth/login",
            json={"email": "ada@example.org", "password": PASSWORD},
            headers={"User-Agent": "phone/1.0"},
        )
        listed = (await server.client.get("/api/auth/sessions")).json()["sessions"]
        assert len(listed) == 2
        assert sum(s["current"] for s in listed) == 1
        other = next(s for s in listed if not s["current"])
        assert other["user_agent"] == "phone/1.0" and other["ip"] == "203.0.113.7"
        deleted = await server.client.delete(
            f"/api/auth/sessions/{other['id']}", headers=server.xsrf()
        )
        assert deleted.status_code == 204
        assert (
            await phone.post("/api/auth/refresh", headers=server.xsrf(phone))
        ).status_code == 401
    listed = (await server.client.get("/api/auth/sessions")).json()["sessions"]
    assert [s["current"] for s in listed] == [True]


async def test_a_session_of_another_user_cannot_be_revoked(server: Server) -> None:
    await server.add_user()
    await server.add_user(email="eve@example.org")
    await server.login()
    async with server.browser() as eve:
        await eve.post("/api/auth/login", json={"email": "eve@example.org", "password": PASSWORD})
        eve_sid = (await eve.get("/api/auth/sessions")).json()["sessions"][0]["id"]
        response = await server.client.delete(
            f"/api/auth/sessions/{eve_sid}", headers=server.xsrf()
        )
        problem(response, 404, "session_not_found")
        assert (await eve.post("/api/auth/refresh", headers=server.xsrf(eve))).status_code == 204


async def test_password_change_revokes_the_other_sessions_but_keeps_this_one(
    server: Server,
) -> None:
    await server.add_user()
    await server.login()
    async with server.browser() as laptop:
        await laptop.post(
            "/api/auth/login", json={"email": "ada@example.org", "password": PASSWORD}
        )
        response = await server.client.post(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
            headers=server.xsrf(),
        )
        assert response.status_code == 204, response.text
        assert (
            await laptop.post("/api/auth/refresh", headers=server.xsrf(laptop))
        ).status_code == 401
    assert (await server.client.post("/api/auth/refresh", headers=server.xsrf())).status_code == 204
    problem(await server.login(), 401, "invalid_credentials")
    assert (await server.login(password="a brand new passphrase")).status_code == 204


async def test_password_change_with_the_wrong_current_password_is_403_not_401(
    server: Server,
) -> None:
    await server.add_user()
    await server.login()
    response = await server.client.post(
        "/api/auth/password",
        json={"current_password": "not my password", "new_password": "a brand new passphrase"},
        headers=server.xsrf(),
    )
    problem(response, 403, "wrong_password")


async def test_password_change_enforces_the_policy(server: Server) -> None:
    await server.add_user()
    await server.login()
    response = await server.client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=server.xsrf(),
    )
    problem(response, 422, "weak_password")


# --- signup -------------------------------------------------------------------------------


async def test_signup_creates_an_account_and_logs_it_in(server: Server) -> None:
    response = await server.client.post(
        "/api/auth/signup",
        json={"email": "New@Example.org", "password": "a long enough passphrase", "name": "Nu"},
    )
    assert response.status_code == 204, response.text
    me = (await server.client.get("/api/auth/me")).json()
    assert me["email"] == "new@example.org" and me["name"] == "Nu"
    again = await server.client.post(
        "/api/auth/signup", json={"email": "new@example.org", "password": "a long enough phrase"}
    )
    problem(again, 409, "user_exists")


async def test_signup_rejects_weak_passwords(sqlite_server: Server) -> None:
    response = await sqlite_server.client.post(
        "/api/auth/signup", json={"email": "a@example.org", "password": "aaaaaaaaaaaaaaaa"}
    )
    problem(response, 422, "weak_password")


async def test_the_audit_trail_records_the_session_lifecycle(server: Server) -> None:
    await server.add_user()
    await server.login(password="not the password at all")
    await server.login()
    stolen = server.client.cookies["__Host-jot_refresh"]
    xsrf = server.xsrf()
    await server.client.post("/api/auth/refresh", headers=xsrf)
    await server.client.post("/api/auth/refresh", headers=xsrf)
    server.clock.advance(11)
    await server.post_with_cookies(
        "/api/auth/refresh",
        {"__Host-jot_refresh": stolen, "XSRF-TOKEN": xsrf["X-XSRF-TOKEN"]},
        xsrf,
    )
    await server.context.keys.rotate(force=True)
    events = [e.event for e in reversed(await server.context.audit.list_events())]
    assert events == [
        "user_created",
        "login_failed",
        "login",
        "refresh",
        "refresh",
        "refresh_reused",
        # The harness signs access tokens with ES256, so a forced rotation turns both rings:
        # the access keys and the RS256 ID-token keys kept beside them (DESIGN §11).
        "key_rotated",
        "key_rotated",
    ]


# --- duplicate cookies (issue 10 item 8) -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method", "path"),
    [
        ("__Host-jot_access", "GET", "/api/auth/me"),
        ("__Host-jot_access", "POST", "/api/auth/logout"),
        ("__Host-jot_refresh", "POST", "/api/auth/refresh"),
        ("XSRF-TOKEN", "POST", "/api/auth/refresh"),
        ("XSRF-TOKEN", "POST", "/api/auth/logout-all"),
    ],
)
async def test_an_auth_cookie_sent_twice_is_400_and_changes_nothing(
    server: Server, name: str, method: str, path: str
) -> None:
    """The auth server and the guard read cookies through one function: a request with the
    same auth cookie twice (e.g. tossed from a sibling subdomain) is refused, never read as
    whichever of the two one layer happens to take."""
    await server.add_user()
    await server.login()
    jar = dict(server.client.cookies.items())
    cookies = "; ".join(f"{k}={v}" for k, v in jar.items()) + f"; {name}=tossed-value"
    async with server.browser() as tab:
        response = await tab.request(method, path, headers={"Cookie": cookies, **server.xsrf()})
    problem(response, 400, "duplicate_cookie")
    # Nothing rotated: the untouched cookies still refresh.
    assert (await server.client.post("/api/auth/refresh", headers=server.xsrf())).status_code == 204


async def test_a_host_prefixed_xsrf_cookie_can_replace_angulars_default(
    database_url: str,
) -> None:
    settings = server_settings(database_url, csrf_cookie_name="__Host-XSRF-TOKEN")
    async for server in start_server(settings):
        await server.add_user()
        response = await server.login()
        xsrf = set_cookies(response)["__Host-XSRF-TOKEN"]
        assert xsrf.startswith("__Host-XSRF-TOKEN=") and "Domain" not in xsrf
        assert "; Path=/;" in xsrf and xsrf.endswith("; Secure; SameSite=Lax")
        token = server.client.cookies["__Host-XSRF-TOKEN"]
        refreshed = await server.client.post("/api/auth/refresh", headers={"X-XSRF-TOKEN": token})
        assert refreshed.status_code == 204
