"""The hosted sign-in's second step (``POST /login/mfa``): the same Origin, CSRF and
``return_to`` rules as the login form, checked before anything changes; a spent step goes
back to the password. (Chromium submits it in ``tests/e2e/browser``.)"""

from __future__ import annotations

import re

import httpx

from tests.integration.server.server_harness import APP_ORIGIN, BASE_URL, PASSWORD, Server
from tests.integration.server.test_server_second_factors import align_to_step, enrol_totp
from tests.support.otp import oathtool_code

HTML = {"Accept": "text/html", "Origin": BASE_URL}


def _field(page: httpx.Response, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


async def _second_step_page(server: Server, return_to: str) -> httpx.Response:
    login = await server.client.get("/login", params={"return_to": return_to})
    page = await server.client.post(
        "/login",
        data={
            "email": "ada@example.org",
            "password": PASSWORD,
            "csrf_token": _field(login, "csrf_token"),
            "return_to": return_to,
        },
        headers=HTML,
    )
    assert page.status_code == 200, page.text
    return page


async def test_the_second_step_page_keeps_return_to_and_refuses_forged_posts(
    server: Server,
) -> None:
    await server.add_user()
    assert (await server.login()).status_code == 204
    secret, _ = await enrol_totp(server)
    server.client.cookies.clear()
    server.clock.advance(60)
    target = f"{APP_ORIGIN}/lessons"
    page = await _second_step_page(server, target)
    assert "Confirm it" in page.text and '<form method="post" action="/login/mfa"' in page.text
    assert "<script" not in page.text and "script" not in page.headers["content-security-policy"]
    assert f"form-action 'self' {APP_ORIGIN}" in page.headers["content-security-policy"]
    assert not {"__Host-jot_access", "__Host-jot_refresh"} & set(server.client.cookies)
    form = {
        "csrf_token": _field(page, "csrf_token"),
        "mfa_token": _field(page, "mfa_token"),
        "return_to": target,
        "method": "totp",
    }
    align_to_step(server)
    code = oathtool_code(secret, server.clock())
    cross = await server.client.post(
        "/login/mfa", data={**form, "code": code}, headers={**HTML, "Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403 and "text/html" in cross.headers["content-type"]
    elsewhere = await server.client.post(
        "/login/mfa",
        data={**form, "code": code, "return_to": "https://evil.example/"},
        headers=HTML,
    )
    assert elsewhere.status_code == 400
    forged = await server.client.post(
        "/login/mfa", data={**form, "code": code, "csrf_token": "forged"}, headers=HTML
    )
    assert forged.status_code == 403 and "Confirm it" in forged.text  # the step, again
    form["csrf_token"] = _field(forged, "csrf_token")  # each page binds a new form token
    other = "000000" if code != "000000" else "111111"
    wrong = await server.client.post("/login/mfa", data={**form, "code": other}, headers=HTML)
    assert wrong.status_code == 401 and "not valid" in wrong.text
    # None of that used the token or the code up, or set a cookie.
    assert not {"__Host-jot_access", "__Host-jot_refresh"} & set(server.client.cookies)
    form["csrf_token"] = _field(wrong, "csrf_token")
    done = await server.client.post("/login/mfa", data={**form, "code": code}, headers=HTML)
    assert done.status_code == 303 and done.headers["location"] == target
    assert {"__Host-jot_access", "__Host-jot_refresh", "XSRF-TOKEN"} <= set(server.client.cookies)


async def test_a_spent_second_step_goes_back_to_the_password(server: Server) -> None:
    await server.add_user()
    assert (await server.login()).status_code == 204
    await enrol_totp(server)
    server.client.cookies.clear()
    page = await _second_step_page(server, f"{APP_ORIGIN}/x")
    form = {
        "mfa_token": _field(page, "mfa_token"),
        "method": "totp",
        "code": "999999",
        "return_to": _field(page, "return_to"),
    }
    for _ in range(5):
        form["csrf_token"] = _field(page, "csrf_token")
        page = await server.client.post("/login/mfa", data=form, headers=HTML)
    assert page.status_code == 401
    assert 'action="/login"' in page.text and "expired" in page.text  # the first step's form
    assert f'name="return_to" value="{APP_ORIGIN}/x"' in page.text


async def test_the_hosted_sign_up_enrols_an_authenticator_when_the_policy_says_so(
    sqlite_url: str,
) -> None:
    from tests.integration.server.server_harness import server_settings, start_server

    async for server in start_server(server_settings(sqlite_url, mfa_policy="required")):
        form = await server.client.get("/signup")
        page = await server.client.post(
            "/signup",
            data={
                "email": "new@example.org",
                "password": PASSWORD,
                "csrf_token": _field(form, "csrf_token"),
            },
            headers=HTML,
        )
        assert page.status_code == 200 and "Set up two-step sign-in" in page.text
        assert "<svg" in page.text and _field(page, "mfa_token")
        assert not {"__Host-jot_access", "__Host-jot_refresh"} & set(server.client.cookies)
