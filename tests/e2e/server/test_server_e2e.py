"""End to end over real HTTP against ``jotauth serve`` (SQLite file and PostgreSQL)."""

import asyncio

import httpx
import pytest

from jotauth import jose
from tests.e2e.server.server_process import (
    APP_ORIGIN,
    METRICS_TOKEN,
    PASSWORD,
    Browser,
    ServerProcess,
    signup,
    unique_email,
)
from tests.support.cookies import set_cookie_flags
from tests.support.problems import assert_problem as assert_problem_json

COOKIE_FLAGS = {
    "__Host-jot_access": "Path=/; Secure; HttpOnly; SameSite=Lax",
    "__Host-jot_refresh": "Path=/; Secure; HttpOnly; SameSite=Strict",
    "XSRF-TOKEN": "Path=/; Secure; SameSite=Lax",
}


async def logged_in(server: ServerProcess, browser: Browser, **body: str) -> str:
    email = unique_email("user")
    await signup(server.url, email)
    response = await browser.post(
        "/api/auth/login", json={"email": email, "password": PASSWORD, **body}
    )
    assert response.status_code in (200, 204), response.text
    return email


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert_problem_json(response, status, code)
    if status == 401:
        assert response.headers["www-authenticate"].startswith('Bearer realm="jotauth"')


async def test_cookie_login_sets_exactly_the_designed_cookie_flags(
    live_server: ServerProcess, browser: Browser
) -> None:
    email = unique_email("cookie")
    await signup(live_server.url, email)
    response = await browser.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 204
    assert set_cookie_flags(response) == COOKIE_FLAGS
    me = await browser.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["email"] == email


async def test_body_login_and_me_with_the_bearer_token(
    live_server: ServerProcess, browser: Browser
) -> None:
    await logged_in(live_server, browser, delivery="body")
    assert set(browser.jar) == {"__Host-jot_refresh", "XSRF-TOKEN"}
    token = (
        await browser.post("/api/auth/refresh", json={"delivery": "body"}, headers=browser.xsrf())
    ).json()["access_token"]
    async with httpx.AsyncClient(base_url=live_server.url) as api:
        me = await api.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert set(me.json()) == {
        "id",
        "email",
        "email_verified",
        "name",
        "roles",
        "scope",
        "identities",
        "has_password",
        "second_factors",
        "amr",
        "auth_time",
    }
    assert me.json()["identities"] == [] and me.json()["has_password"] is True
    assert me.json()["second_factors"] == [] and me.json()["amr"] == ["pwd"]


async def test_refresh_rotates_and_reuse_after_grace_revokes_the_session(
    live_server: ServerProcess, browser: Browser
) -> None:
    await logged_in(live_server, browser)
    first = browser.jar["__Host-jot_refresh"]
    xsrf = browser.xsrf()
    rotated = await browser.post("/api/auth/refresh", headers=xsrf)
    assert rotated.status_code == 204 and set_cookie_flags(rotated) == COOKIE_FLAGS
    assert browser.jar["__Host-jot_refresh"] != first
    # Until its successor is used, the first token is a retry; the browser uses it now.
    assert (await browser.post("/api/auth/refresh", headers=xsrf)).status_code == 204
    await asyncio.sleep(3.2)  # past the 3 s grace window of the test settings
    thief = Browser(live_server.url)
    thief.jar = {"__Host-jot_refresh": first, "XSRF-TOKEN": xsrf["X-XSRF-TOKEN"]}
    assert_problem(await thief.post("/api/auth/refresh", headers=xsrf), 401, "refresh_reused")
    await thief.aclose()
    assert_problem(await browser.post("/api/auth/refresh", headers=xsrf), 401, "session_revoked")


async def test_a_refresh_whose_response_was_lost_is_retried_after_the_grace_window(
    live_server: ServerProcess, browser: Browser
) -> None:
    await logged_in(live_server, browser)
    held, xsrf = dict(browser.jar), browser.xsrf()
    lost = await browser.post("/api/auth/refresh", headers=xsrf)  # the client never sees it
    assert lost.status_code == 204
    await asyncio.sleep(3.2)  # past the 3 s grace window of the test settings
    retry = Browser(live_server.url, browser.http)
    retry.jar = held
    response = await retry.post("/api/auth/refresh", headers=xsrf)
    assert response.status_code == 204, response.text
    assert (await retry.get("/api/auth/me")).status_code == 200
    assert (await retry.post("/api/auth/refresh", headers=xsrf)).status_code == 204


async def test_twenty_concurrent_refreshes_keep_one_session_and_nobody_logged_out(
    live_server: ServerProcess, browser: Browser
) -> None:
    await logged_in(live_server, browser)
    jar, xsrf = dict(browser.jar), browser.xsrf()
    tabs = [Browser(live_server.url, browser.http) for _ in range(20)]
    for tab in tabs:
        tab.jar = dict(jar)
    responses = await asyncio.gather(*(t.post("/api/auth/refresh", headers=xsrf) for t in tabs))
    assert [r.status_code for r in responses] == [204] * 20, [r.text for r in responses]
    # Every tab's cookies work, whichever response each one kept.
    checks = await asyncio.gather(*(t.get("/api/auth/me") for t in tabs))
    assert [r.status_code for r in checks] == [200] * 20
    heads = {t.jar["__Host-jot_refresh"] for t in tabs}
    assert len(heads) == 1
    again = await asyncio.gather(*(t.post("/api/auth/refresh", headers=xsrf) for t in tabs[:3]))
    assert [r.status_code for r in again] == [204] * 3
    original_sid = jose.decode_unverified(jar["__Host-jot_access"])[1]["sid"]
    sids = {jose.decode_unverified(t.jar["__Host-jot_access"])[1]["sid"] for t in tabs}
    assert sids == {original_sid}


async def test_logout_clears_every_cookie(live_server: ServerProcess, browser: Browser) -> None:
    await logged_in(live_server, browser)
    refresh = browser.jar["__Host-jot_refresh"]
    response = await browser.post("/api/auth/logout", headers=browser.xsrf())
    assert response.status_code == 204
    cleared = response.headers.get_list("set-cookie")
    assert sorted(c.split("=", 1)[0] for c in cleared) == sorted(COOKIE_FLAGS)
    assert all("Max-Age=0" in c and "=;" in c for c in cleared)
    assert browser.jar == {}
    assert (await browser.get("/api/auth/me")).status_code == 401
    async with httpx.AsyncClient(base_url=live_server.url) as native:
        replay = await native.post("/api/auth/refresh", json={"refresh_token": refresh})
    assert_problem(replay, 401, "session_revoked")


async def test_logout_all_ends_every_session(live_server: ServerProcess, browser: Browser) -> None:
    email = await logged_in(live_server, browser)
    phone = Browser(live_server.url)
    await phone.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert (await browser.post("/api/auth/logout-all", headers=browser.xsrf())).status_code == 204
    assert_problem(await phone.post("/api/auth/refresh", headers=phone.xsrf()), 401)
    await phone.aclose()


async def test_password_change_revokes_the_other_sessions(
    live_server: ServerProcess, browser: Browser
) -> None:
    email = await logged_in(live_server, browser)
    laptop = Browser(live_server.url)
    await laptop.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    changed = await browser.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "an entirely new passphrase"},
        headers=browser.xsrf(),
    )
    assert changed.status_code == 204
    assert_problem(await laptop.post("/api/auth/refresh", headers=laptop.xsrf()), 401)
    assert (await browser.post("/api/auth/refresh", headers=browser.xsrf())).status_code == 204
    await laptop.aclose()


@pytest.mark.parametrize("path", ["/api/auth/refresh", "/api/auth/logout", "/api/auth/logout-all"])
async def test_csrf_missing_wrong_or_foreign_token_is_403(
    live_server: ServerProcess, browser: Browser, path: str
) -> None:
    email = await logged_in(live_server, browser)
    other = Browser(live_server.url)
    await other.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    foreign = other.jar["XSRF-TOKEN"]
    await other.aclose()
    assert_problem(await browser.post(path), 403, "csrf_failed")
    assert_problem(await browser.post(path, headers={"X-XSRF-TOKEN": "x" * 43}), 403)
    planted = dict(browser.jar, **{"XSRF-TOKEN": foreign})
    cookie = "; ".join(f"{k}={v}" for k, v in planted.items())
    response = await browser.http.post(path, headers={"X-XSRF-TOKEN": foreign, "Cookie": cookie})
    assert_problem(response, 403, "csrf_failed")
    assert (await browser.get("/api/auth/me")).status_code == 200


async def test_login_csrf_foreign_origin_is_refused(
    live_server: ServerProcess, browser: Browser
) -> None:
    email = unique_email("origin")
    await signup(live_server.url, email)
    body = {"email": email, "password": PASSWORD}
    evil = await browser.post("/api/auth/login", json=body, headers={"Origin": "https://evil.test"})
    assert_problem(evil, 403, "origin_not_allowed")
    ok = await browser.post("/api/auth/login", json=body, headers={"Origin": APP_ORIGIN})
    assert ok.status_code == 204


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"email": "a@example.org", "password": ', "application/json", 400),
        (b"\xff\xfe\x00", "application/json", 400),
        (b'{"email": "a@example.org", "password": "x"}', "text/plain", 415),
        (b"email=a%40example.org&password=x", "application/x-www-form-urlencoded", 415),
        (b'{"email": "' + b"a" * 200_000 + b'"}', "application/json", 413),
        (
            b'{"email": "a@example.org", "password": "' + b"p" * 100_000 + b'"}',
            "application/json",
            413,
        ),
        ('{"email": "\u202eadmin@example.org", "password": "x"}'.encode(), "application/json", 422),
        (b'{"email": "a\\u0000@example.org", "password": "x"}', "application/json", 422),
    ],
)
async def test_hostile_input_gets_4xx_problem_json(
    live_server: ServerProcess, content: bytes, content_type: str, status: int
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        response = await http.post(
            "/api/auth/login", content=content, headers={"Content-Type": content_type}
        )
    assert_problem(response, status)


@pytest.mark.parametrize(
    "return_to",
    [
        "//evil.test",
        "https:evil.test",
        "/\\evil.test",
        f"{APP_ORIGIN}@evil.test",
        "https://evil.test",
    ],
)
async def test_open_redirects_are_refused(live_server: ServerProcess, return_to: str) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        response = await http.get("/login", params={"return_to": return_to})
    assert_problem(response, 400, "invalid_return_to")


async def test_unicode_email_accounts_work_end_to_end(live_server: ServerProcess) -> None:
    email = f"josé-{unique_email('u')}"
    await signup(live_server.url, email)
    browser = Browser(live_server.url)
    decomposed = email.replace("é", "e\u0301").upper()
    response = await browser.post(
        "/api/auth/login", json={"email": decomposed, "password": PASSWORD}
    )
    assert response.status_code == 204
    assert (await browser.get("/api/auth/me")).json()["email"] == email
    await browser.aclose()


async def test_metrics_count_logins(live_server: ServerProcess, browser: Browser) -> None:
    await logged_in(live_server, browser)
    text = (
        await browser.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    ).text
    assert 'jotauth_logins_total{outcome="success"}' in text


async def test_forwarded_for_is_ignored_without_trusted_proxies(live_server: ServerProcess) -> None:
    email = unique_email("xff")
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        signup = await http.post(
            "/api/auth/signup",
            json={"email": email, "password": PASSWORD, "delivery": "body"},
            headers={"X-Forwarded-For": "198.51.100.9"},
        )
        bearer = {"Authorization": f"Bearer {signup.json()['access_token']}"}
        sessions = (await http.get("/api/auth/sessions", headers=bearer)).json()["sessions"]
    assert [s["ip"] for s in sessions] == ["127.0.0.1"]
