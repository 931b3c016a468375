"""The hosted sign-in's second step, submitted by Chromium (DESIGN §13): TOTP codes from
Debian's ``oathtool``, a recovery code, the enrolment the MFA policy forces, and an OpenID
Connect authorization through it whose ID token (verified with PyJWT against the JWKS) says
``amr: [pwd, otp, mfa]``.

The server is a real ``jotauth serve`` process on the wall clock, so a code is never typed
twice within its step: the enrolment uses the current step's code, each later sign-in the
next step's (RFC 6238 accepts one step ahead).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.browser_demo import ForeignOrigin
from tests.e2e.server.server_process import PASSWORD, ServerProcess, running_server, unique_email
from tests.support.oidc_flow import CodeFlow, add_first_party_public_client
from tests.support.otp import enrol_totp, oathtool_code

pytestmark = pytest.mark.browser

APP_PAGE = "<!doctype html><title>spa</title><h1 id=app>the spa</h1>"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A production-mode server whose policy makes admins enrol a second factor."""
    workdir = tmp_path_factory.mktemp("mfa-browser")
    with running_server(
        f"sqlite+aiosqlite:///{workdir}/jotauth.db",
        workdir,
        JOTAUTH_MFA_REQUIRED_ROLES='["admin"]',
    ) as server:
        yield server


def _user_with_totp(provider: ServerProcess, label: str) -> tuple[str, str, list[str]]:
    """A new account with TOTP enrolled over the API: (email, secret, recovery codes)."""
    email = unique_email(label)
    signed_up = httpx.post(
        f"{provider.url}/api/auth/signup",
        json={"email": email, "password": PASSWORD, "delivery": "body"},
    )
    assert signed_up.status_code == 200, signed_up.text
    secret, codes = enrol_totp(provider.url, signed_up.json()["access_token"])
    return email, secret, codes


def _first_step(page: Page, email: str) -> None:
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def _next_step_code(secret: str) -> str:
    return oathtool_code(secret, time.time() + 30)


def test_the_hosted_second_step_takes_a_totp_code_and_refuses_a_wrong_one(
    provider: ServerProcess, page: Page, screenshots: Path
) -> None:
    email, secret, _ = _user_with_totp(provider, "totp")
    page.goto(f"{provider.url}/login")
    _first_step(page, email)
    expect(page.locator("h1")).to_have_text("Confirm it's you")
    # No session yet: only the form's nonce cookie.
    assert {c["name"] for c in page.context.cookies()} == {"__Host-jot_login_form"}
    page.screenshot(path=screenshots / "mfa-second-step.png", full_page=True)
    right = _next_step_code(secret)
    page.fill("input#code", "000000" if right != "000000" else "111111")
    page.click("[data-test=totp-form] button[type=submit]")
    expect(page.locator("p.error")).to_contain_text("not valid")
    page.screenshot(path=screenshots / "mfa-second-step-wrong-code.png", full_page=True)
    page.fill("input#code", right)
    page.click("[data-test=totp-form] button[type=submit]")
    expect(page.locator("h1")).to_have_text("You are signed in")
    names = {cookie["name"] for cookie in page.context.cookies()}
    assert "__Host-jot_access" in names and "__Host-jot_refresh" in names


def test_a_recovery_code_signs_in_once_through_the_hosted_page(
    provider: ServerProcess, page: Page
) -> None:
    email, _, codes = _user_with_totp(provider, "recovery")
    page.goto(f"{provider.url}/login")
    _first_step(page, email)
    page.click("[data-test=recovery-option] summary")
    page.fill("input#recovery_code", codes[3])
    page.click("[data-test=recovery-form] button[type=submit]")
    expect(page.locator("h1")).to_have_text("You are signed in")
    page.context.clear_cookies()
    page.goto(f"{provider.url}/login")
    _first_step(page, email)
    page.click("[data-test=recovery-option] summary")
    page.fill("input#recovery_code", codes[3])
    page.click("[data-test=recovery-form] button[type=submit]")
    expect(page.locator("p.error")).to_contain_text("already used")


def test_an_admin_enrols_an_authenticator_at_sign_in_and_sees_the_recovery_codes_once(
    provider: ServerProcess, page: Page, screenshots: Path
) -> None:
    email = unique_email("admin")
    signed_up = httpx.post(
        f"{provider.url}/api/auth/signup", json={"email": email, "password": PASSWORD}
    )
    assert signed_up.status_code == 204, signed_up.text
    assert provider.cli("users", "set-roles", email, "admin").returncode == 0
    page.goto(f"{provider.url}/login")
    _first_step(page, email)
    expect(page.locator("h1")).to_have_text("Set up two-step sign-in")
    expect(page.locator("[data-test=totp-qr] svg")).to_be_visible()
    page.screenshot(path=screenshots / "mfa-enrolment.png", full_page=True)
    secret = page.locator("[data-test=totp-secret]").inner_text()
    # A mistyped first code shows the same key again (the app already holds it).
    page.fill("input#code", "000000" if oathtool_code(secret, time.time()) != "000000" else "1")
    page.click("[data-test=totp-form] button[type=submit]")
    expect(page.locator("p.error")).to_be_visible()
    assert page.locator("[data-test=totp-secret]").inner_text() == secret
    page.fill("input#code", oathtool_code(secret, time.time()))
    page.click("[data-test=totp-form] button[type=submit]")
    expect(page.locator("h1")).to_have_text("Save your recovery codes")
    assert page.locator("[data-test=recovery-codes] li").count() == 10
    page.screenshot(path=screenshots / "mfa-recovery-codes.png", full_page=True)
    # The session Chromium now holds (its access cookie, as the browser would send it).
    access = next(c["value"] for c in page.context.cookies() if c["name"] == "__Host-jot_access")
    me = httpx.get(
        f"{provider.url}/api/auth/me", headers={"Cookie": f"__Host-jot_access={access}"}
    ).json()
    assert me["second_factors"] == ["totp", "recovery_code"]
    assert me["amr"] == ["pwd", "otp", "mfa"]


@pytest.fixture(scope="module")
def first_party(provider: ServerProcess, foreign_origin: ForeignOrigin) -> dict[str, str]:
    return add_first_party_public_client(provider, f"{foreign_origin.url}/mfa-callback")


def test_an_openid_sign_in_through_the_second_step_gets_an_id_token_with_mfa(
    provider: ServerProcess,
    foreign_origin: ForeignOrigin,
    first_party: dict[str, str],
    page: Page,
    screenshots: Path,
) -> None:
    email, secret, _ = _user_with_totp(provider, "oidc")
    foreign_origin.serve(APP_PAGE)
    flow = CodeFlow(provider, first_party)
    page.goto(flow.authorize_url())
    page.wait_for_url("**/login?**")
    _first_step(page, email)
    expect(page.locator("h1")).to_have_text("Confirm it's you")
    page.screenshot(path=screenshots / "mfa-second-step-oidc.png", full_page=True)
    page.fill("input#code", _next_step_code(secret))
    # The form posts, then redirects to /oauth2/authorize, then to the app: return_to
    # survived the second step, and CSP form-action allows every hop.
    page.click("[data-test=totp-form] button[type=submit]")
    page.wait_for_url(f"{first_party['redirect_uri']}?**")
    tokens, claims = flow.redeem(page.url)
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert abs(claims["auth_time"] - time.time()) < 60
    access = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert access["amr"] == ["pwd", "otp", "mfa"] and access["auth_time"] == claims["auth_time"]
