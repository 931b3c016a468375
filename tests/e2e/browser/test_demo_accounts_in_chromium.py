"""Sign-up, verification and password reset in the Angular demo, in real Chromium, reading
the mails from a real SMTP server on loopback; and the dev mailbox of a demo without SMTP.

Screenshots go to ``artifacts/screenshots/accounts/``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.browser_demo import REPO_ROOT, DemoServer, running_demo
from tests.support.smtp import Received, SmtpServer, smtp_server

pytestmark = pytest.mark.browser

PASSWORD = "lantern orchard quietly 42"
NEW_PASSWORD = "copper meadow sailing 17"
SHOTS = REPO_ROOT / "artifacts" / "screenshots" / "accounts"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def mail_demo(
    demo_app_dir: Path, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
) -> Iterator[DemoServer]:
    """The demo composition mailing through the loopback SMTP server."""
    data_dir = tmp_path_factory.mktemp("jotauth-demo-mail")
    env = {
        "JOTAUTH_SMTP_URL": smtp.url,
        "JOTAUTH_MAIL_FROM": "jotauth demo <noreply@demo.example>",
        "JOTAUTH_MAIL_POLL_INTERVAL": "0.2",
    }
    # The second app (OIDC) is not what these tests are about: --spa-port 0, the default.
    with running_demo(demo_app_dir, data_dir, env=env) as server:
        yield server


@pytest.fixture
def tab(browser: Browser) -> Iterator[Page]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    yield context.new_page()
    context.close()


def fresh_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.org"


def link_in(mail: Received, page: str) -> str:
    (link,) = [link for link in mail.links if f"/account/{page}?token=" in link]
    return link


def test_sign_up_with_strength_shown_then_verify_from_the_mail(
    mail_demo: DemoServer, smtp: SmtpServer, tab: Page
) -> None:
    email = fresh_email("nova")
    tab.goto(f"{mail_demo.url}/signin")
    tab.click("[data-test=signup-link]")
    tab.wait_for_url("**/account/signup")
    tab.fill("input[name=email]", email)
    tab.fill("input[name=name]", "Nova")
    tab.fill("input[name=password]", "password1")
    expect(tab.locator("[data-test=strength]")).to_have_attribute("data-score", "0")
    tab.screenshot(path=SHOTS / "demo-signup-weak.png", full_page=True)
    tab.fill("input[name=password]", PASSWORD)
    strength = tab.locator("[data-test=strength]")
    expect(strength).to_have_attribute("data-score", "4")
    expect(tab.locator("[data-test=strength-label]")).to_have_text("Very strong")
    tab.screenshot(path=SHOTS / "demo-signup-strong.png", full_page=True)
    tab.click("button[type=submit]")

    tab.wait_for_url("**/lessons")
    expect(tab.locator("[data-test=unverified]")).to_contain_text(email)
    tab.screenshot(path=SHOTS / "demo-unverified-banner.png", full_page=True)

    mail = smtp.mail_to(email, "Confirm your email address")
    tab.goto(link_in(mail, "verify"))
    tab.click("[data-test=confirm]")
    expect(tab.locator("[data-test=verify-done]")).to_be_visible()
    tab.screenshot(path=SHOTS / "demo-verified.png", full_page=True)
    tab.click("text=Continue")
    tab.wait_for_url("**/lessons")
    expect(tab.locator("[data-test=unverified]")).to_have_count(0)
    me = tab.request.get(f"{mail_demo.url}/api/auth/me")
    assert me.json()["email_verified"] is True


def test_a_weak_password_is_refused_by_the_server_with_its_reason(
    mail_demo: DemoServer, tab: Page
) -> None:
    tab.goto(f"{mail_demo.url}/account/signup")
    tab.fill("input[name=email]", fresh_email("weak"))
    tab.fill("input[name=password]", "qwerty123456")
    tab.click("button[type=submit]")
    expect(tab.locator("[data-test=account-error]")).to_contain_text("most common")


def test_forgot_and_reset_in_the_demo_from_the_mail(
    mail_demo: DemoServer, smtp: SmtpServer, tab: Page
) -> None:
    email = fresh_email("reset")
    created = httpx.post(
        f"{mail_demo.url}/api/auth/signup",
        json={"email": email, "password": PASSWORD, "delivery": "body"},
    )
    assert created.status_code == 200, created.text

    tab.goto(f"{mail_demo.url}/signin")
    tab.click("[data-test=forgot-link]")
    tab.wait_for_url("**/account/forgot")
    tab.fill("input[name=email]", email)
    tab.click("button[type=submit]")
    expect(tab.locator("[data-test=check-mail]")).to_be_visible()
    tab.screenshot(path=SHOTS / "demo-forgot-sent.png", full_page=True)

    mail = smtp.mail_to(email, "Reset your")
    link = link_in(mail, "reset")
    assert link.startswith(f"{mail_demo.url}/account/reset?token=")
    tab.goto(link)
    tab.fill("input[name=password]", NEW_PASSWORD)
    expect(tab.locator("[data-test=strength]")).to_be_visible()
    tab.screenshot(path=SHOTS / "demo-reset.png", full_page=True)
    tab.click("button[type=submit]")
    expect(tab.locator("[data-test=reset-done]")).to_be_visible()
    tab.screenshot(path=SHOTS / "demo-reset-done.png", full_page=True)

    # The link worked once.
    tab.goto(link)
    tab.fill("input[name=password]", "another fine passphrase 3")
    tab.click("button[type=submit]")
    expect(tab.locator("[data-test=account-error]")).to_contain_text("invalid or has expired")

    tab.goto(f"{mail_demo.url}/signin")
    tab.fill("input[name=email]", email)
    tab.fill("input[name=password]", NEW_PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url("**/lessons")
    resets = [m for m in smtp.received if email in m.rcpt_tos and "Reset" in m.message["Subject"]]
    assert len(resets) == 1


def test_without_smtp_the_demo_mail_lands_in_the_dev_mailbox(
    demo_server: DemoServer, tab: Page
) -> None:
    email = fresh_email("mailbox")
    created = httpx.post(
        f"{demo_server.url}/api/auth/signup",
        json={"email": email, "password": PASSWORD, "delivery": "body"},
    )
    assert created.status_code == 200, created.text
    tab.goto(f"{demo_server.url}/signin")
    tab.click("[data-test=dev-mailbox]")
    tab.wait_for_url("**/dev/mailbox")
    first = tab.locator("[data-test=mail]").first
    expect(first.locator("[data-test=mail-subject]")).to_have_text(
        "Confirm your email address for jotauth"
    )
    expect(first).to_contain_text(email)
    tab.screenshot(path=SHOTS / "demo-dev-mailbox.png", full_page=True)
    first.locator("[data-test=mail-link]").first.click()
    tab.wait_for_url("**/account/verify?token=*")
    tab.click("[data-test=confirm]")
    expect(tab.locator("[data-test=verify-done]")).to_be_visible()
    # The mail never reached the server's log.
    assert "token=" not in demo_server.log.read_text(encoding="utf-8", errors="replace")
