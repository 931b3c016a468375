"""The hosted account pages (``/signup``, ``/forgot``, ``/reset``, ``/verify``) in real
Chromium against ``jotauth serve``, reading the mails from a real SMTP server on loopback.

Screenshots go to ``artifacts/screenshots/accounts/``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.browser_demo import ForeignOrigin
from tests.e2e.server.server_process import PASSWORD, ServerProcess, running_server, unique_email
from tests.support.smtp import Received, SmtpServer, smtp_server

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a brand new passphrase 7"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def auth_server(
    tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer, foreign_origin: ForeignOrigin
) -> Iterator[ServerProcess]:
    """A production-mode server that mails through the loopback SMTP server."""
    workdir = tmp_path_factory.mktemp("account-pages")
    with running_server(
        f"sqlite+aiosqlite:///{workdir}/jotauth.db",
        workdir,
        JOTAUTH_SIGNUP_ENABLED="true",
        JOTAUTH_SMTP_URL=smtp.url,
        JOTAUTH_MAIL_FROM="jotauth <noreply@example.test>",
        JOTAUTH_MAIL_POLL_INTERVAL="0.2",
        JOTAUTH_MAIL_RETRY_DELAY="0.5",
        JOTAUTH_ALLOWED_ORIGINS=f'["{foreign_origin.url}"]',
    ) as server:
        yield server


@pytest.fixture
def shots() -> Path:
    path = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots" / "accounts"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def tab(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    yield context.new_page()
    context.close()


def link_in(mail: Received, page: str) -> str:
    (link,) = [link for link in mail.links if f"/{page}?token=" in link]
    return link


def test_forgot_and_reset_through_the_hosted_pages(
    auth_server: ServerProcess, smtp: SmtpServer, tab: Page, shots: Path
) -> None:
    email = unique_email("reset")
    created = httpx.post(
        f"{auth_server.url}/api/auth/signup",
        json={"email": email, "password": PASSWORD, "delivery": "body"},
    )
    assert created.status_code == 200, created.text

    tab.goto(f"{auth_server.url}/login")
    tab.click("[data-test=forgot-link]")
    expect(tab.locator("h1")).to_have_text("Forgotten password")
    tab.fill("input[name=email]", email)
    tab.screenshot(path=shots / "hosted-forgot.png", full_page=True)
    tab.click("button[type=submit]")
    expect(tab.locator("h1")).to_have_text("Check your mail")
    tab.screenshot(path=shots / "hosted-forgot-sent.png", full_page=True)

    mail = smtp.mail_to(email, "Reset your")
    link = link_in(mail, "reset")
    assert link.startswith(f"{auth_server.url}/reset?token=")
    tab.goto(link)
    expect(tab.locator("h1")).to_have_text("Choose a new password")
    # The policy is the server's: a common password is refused with the reason.
    tab.fill("input[name=password]", "qwerty123456")
    tab.click("button[type=submit]")
    expect(tab.locator("[data-test=form-error]")).to_contain_text("most common")
    tab.fill("input[name=password]", NEW_PASSWORD)
    tab.screenshot(path=shots / "hosted-reset.png", full_page=True)
    tab.click("button[type=submit]")
    expect(tab.locator("h1")).to_have_text("Password changed")
    tab.screenshot(path=shots / "hosted-reset-done.png", full_page=True)

    # The link worked once.
    tab.goto(link)
    expect(tab.locator("h1")).to_have_text("Link invalid or expired")
    tab.screenshot(path=shots / "hosted-reset-link-used.png", full_page=True)

    tab.goto(f"{auth_server.url}/login")
    tab.fill("input[name=email]", email)
    tab.fill("input[name=password]", NEW_PASSWORD)
    tab.click("button[type=submit]")
    expect(tab.locator("h1")).to_have_text("You are signed in")
    assert (
        len([m for m in smtp.received if email in m.rcpt_tos and "Reset" in m.message["Subject"]])
        == 1
    )


def test_sign_up_and_verify_through_the_hosted_pages(
    auth_server: ServerProcess, smtp: SmtpServer, tab: Page, shots: Path
) -> None:
    email = unique_email("verify")
    tab.goto(f"{auth_server.url}/signup")
    tab.fill("input[name=email]", email)
    tab.fill("input[name=name]", "Vera")
    tab.fill("input[name=password]", PASSWORD)
    tab.screenshot(path=shots / "hosted-signup.png", full_page=True)
    tab.click("button[type=submit]")
    expect(tab.locator("h1")).to_have_text("Welcome")
    me = tab.request.get(f"{auth_server.url}/api/auth/me")
    assert me.status == 200 and me.json()["email_verified"] is False

    mail = smtp.mail_to(email, "Confirm your email address")
    assert mail.message["To"] == f"Vera <{email}>"
    tab.goto(link_in(mail, "verify"))
    expect(tab.locator("h1")).to_have_text("Confirm your address")
    # Opening the link verified nothing (mail scanners open links too).
    assert tab.request.get(f"{auth_server.url}/api/auth/me").json()["email_verified"] is False
    tab.screenshot(path=shots / "hosted-verify.png", full_page=True)
    tab.click("button[type=submit]")
    expect(tab.locator("h1")).to_have_text("Address confirmed")
    tab.screenshot(path=shots / "hosted-verify-done.png", full_page=True)
    assert tab.request.get(f"{auth_server.url}/api/auth/me").json()["email_verified"] is True


def test_a_weak_password_is_refused_on_the_sign_up_page(
    auth_server: ServerProcess, tab: Page, shots: Path
) -> None:
    email = unique_email("weak")
    tab.goto(f"{auth_server.url}/signup")
    tab.fill("input[name=email]", email)
    local = email.split("@")[0]
    tab.fill("input[name=password]", f"{local}2024")
    tab.click("button[type=submit]")
    expect(tab.locator("[data-test=form-error]")).to_contain_text("email address")
    tab.screenshot(path=shots / "hosted-signup-refused.png", full_page=True)
    expect(tab.locator("input[name=email]")).to_have_value(email)


def test_a_cross_site_form_cannot_ask_for_reset_mails(
    auth_server: ServerProcess, smtp: SmtpServer, foreign_origin: ForeignOrigin, tab: Page
) -> None:
    before = len(smtp.received)
    foreign_origin.serve(
        f"""<!doctype html><form id=f method=post action="{auth_server.url}/forgot">
        <input name=email value="victim@example.org"></form>
        <script>document.getElementById('f').submit()</script>"""
    )
    tab.goto(f"http://localhost:{foreign_origin.url.rsplit(':', 1)[1]}/")
    tab.wait_for_load_state()
    expect(tab.locator("h1")).not_to_have_text("Check your mail")
    time.sleep(0.5)
    assert len(smtp.received) == before
