"""The login's second step over real HTTP against ``jotauth serve`` on SQLite and PostgreSQL
(DESIGN §13): TOTP enrolled and proved with codes from Debian's ``oathtool``, the
``mfa_required`` answer, cookie and body delivery as asked at login, replay and reuse.

The server runs on the wall clock: the enrolment types the current step's code, later steps
the next step's (RFC 6238 accepts one step ahead), so no code is typed twice in its step.
"""

from __future__ import annotations

import time

from jotauth import jose
from tests.e2e.server.server_process import (
    PASSWORD,
    Browser,
    ServerProcess,
    signup,
    unique_email,
)
from tests.support.otp import oathtool_code
from tests.support.problems import assert_problem


async def _enrolled(server: ServerProcess, browser: Browser) -> tuple[str, str]:
    """A new account with TOTP confirmed in a cookie session: (email, secret)."""
    email = unique_email("mfa")
    await signup(server.url, email)
    login = await browser.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 204
    setup = await browser.post("/api/auth/mfa/totp/setup", headers=browser.xsrf())
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    confirm = await browser.post(
        "/api/auth/mfa/totp/confirm",
        json={"code": oathtool_code(secret, time.time())},
        headers=browser.xsrf(),
    )
    assert confirm.status_code == 200 and len(confirm.json()["recovery_codes"]) == 10
    return email, secret


async def test_a_login_with_totp_finishes_with_a_code_from_oathtool_in_cookie_delivery(
    live_server: ServerProcess, browser: Browser
) -> None:
    email, secret = await _enrolled(live_server, browser)
    other = Browser(live_server.url)
    try:
        held = await other.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert held.status_code == 200 and set(other.jar) == set()  # no session, no cookie
        body = held.json()
        assert body["mfa_required"] is True and body["methods"] == ["totp", "recovery_code"]
        code = oathtool_code(secret, time.time() + 30)
        done = await other.post(
            "/api/auth/login/mfa",
            json={"mfa_token": body["mfa_token"], "method": "totp", "code": code},
        )
        assert done.status_code == 204, done.text
        assert {"__Host-jot_access", "__Host-jot_refresh", "XSRF-TOKEN"} <= set(other.jar)
        me = await other.get("/api/auth/me")
        assert me.json()["amr"] == ["pwd", "otp", "mfa"]
        reused = await other.post(
            "/api/auth/login/mfa",
            json={"mfa_token": body["mfa_token"], "method": "totp", "code": code},
        )
        assert_problem(reused, 401, "mfa_token_invalid")
        # The same code on a fresh attempt: a replay within its window.
        again = await other.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        replay = await other.post(
            "/api/auth/login/mfa",
            json={"mfa_token": again.json()["mfa_token"], "method": "totp", "code": code},
        )
        assert_problem(replay, 401, "second_factor_invalid")
    finally:
        await other.aclose()


async def test_body_delivery_asked_at_login_is_kept_by_the_second_step(
    live_server: ServerProcess, browser: Browser
) -> None:
    email, secret = await _enrolled(live_server, browser)
    other = Browser(live_server.url)
    try:
        held = await other.post(
            "/api/auth/login", json={"email": email, "password": PASSWORD, "delivery": "body"}
        )
        done = await other.post(
            "/api/auth/login/mfa",
            json={
                "mfa_token": held.json()["mfa_token"],
                "method": "totp",
                "code": oathtool_code(secret, time.time() + 30),
            },
        )
        assert done.status_code == 200, done.text
        assert set(done.json()) == {"access_token", "token_type", "expires_in", "expires_at"}
        assert set(other.jar) == {"__Host-jot_refresh", "XSRF-TOKEN"}
        _, claims = jose.decode_unverified(done.json()["access_token"])
        assert (
            claims["amr"] == ["pwd", "otp", "mfa"] and abs(claims["auth_time"] - time.time()) < 60
        )
    finally:
        await other.aclose()
