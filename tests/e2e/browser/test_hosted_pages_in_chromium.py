"""The hosted login and logout pages, submitted by real Chromium against ``jotauth serve``.

httpx never sends what a browser sends (``Origin``, ``Sec-Fetch-*``, the referrer policy's
effect on both, CSP ``form-action`` on redirects), so every server-rendered form is
submitted here by the browser, at desktop and phone widths, with screenshots kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.browser.browser_demo import ForeignOrigin
from tests.e2e.server.server_process import PASSWORD, ServerProcess, running_server, unique_email

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture(scope="module")
def auth_server(
    tmp_path_factory: pytest.TempPathFactory, foreign_origin: ForeignOrigin
) -> Iterator[ServerProcess]:
    """A production-mode server whose allowlist holds the foreign test origin."""
    workdir = tmp_path_factory.mktemp("hosted-pages")
    with running_server(
        f"sqlite+aiosqlite:///{workdir}/jotauth.db",
        workdir,
        JOTAUTH_ALLOWED_ORIGINS=json.dumps([foreign_origin.url]),
        JOTAUTH_LOGIN_ATTEMPTS_PER_ACCOUNT="3",
    ) as server:
        yield server


@pytest.fixture(params=sorted(WIDTHS))
def width(request: pytest.FixtureRequest) -> str:
    """The viewport the test runs at (desktop 1280 px and phone 390 px wide)."""
    name: str = request.param
    return name


@pytest.fixture
def tab(browser: Browser, width: str) -> Iterator[Page]:
    """A tab in a fresh profile at the test's viewport width."""
    w, h = WIDTHS[width]
    context: BrowserContext = browser.new_context(viewport={"width": w, "height": h})
    yield context.new_page()
    context.close()


@pytest.fixture
def email(auth_server: ServerProcess) -> str:
    """A fresh account (the password is ``PASSWORD``)."""
    # Playwright's sync API runs an event loop in this thread: plain sync httpx here.
    address = unique_email("hosted")
    response = httpx.post(
        f"{auth_server.url}/api/auth/signup",
        json={"email": address, "password": PASSWORD, "delivery": "body"},
    )
    assert response.status_code == 200, response.text
    return address


@pytest.fixture
def login_tab(tab: Page, auth_server: ServerProcess) -> Page:
    """The tab, showing the hosted login page without ``return_to``."""
    tab.goto(f"{auth_server.url}/login")
    return tab


def _submit_login(page: Page, email: str, password: str) -> None:
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def _auth_cookie_names(page: Page) -> set[str]:
    auth = {"__Host-jot_access", "__Host-jot_refresh", "XSRF-TOKEN"}
    return {c["name"] for c in page.context.cookies()} & auth


def test_the_right_password_signs_in_and_returns_to_the_allowed_origin(
    auth_server: ServerProcess,
    foreign_origin: ForeignOrigin,
    tab: Page,
    email: str,
    width: str,
    screenshots: Path,
) -> None:
    foreign_origin.serve("<!doctype html><title>app</title><h1 id=app>the app</h1>")
    tab.goto(f"{auth_server.url}/login?return_to={foreign_origin.url}/")
    tab.screenshot(path=screenshots / f"hosted-login-{width}.png", full_page=True)
    # The form fits the viewport: nothing to scroll sideways on a 390 px phone.
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The branding's inline accent rule passes the CSP by its hash (default #3558d4).
    expect(tab.locator("button[type=submit]")).to_have_css("background-color", "rgb(53, 88, 212)")

    _submit_login(tab, email, PASSWORD)

    tab.wait_for_url(f"{foreign_origin.url}/")
    expect(tab.locator("#app")).to_have_text("the app")
    assert {"__Host-jot_access", "__Host-jot_refresh"} <= _auth_cookie_names(tab)


def test_signing_in_without_return_to_shows_the_signed_in_page(
    auth_server: ServerProcess, login_tab: Page, email: str, width: str, screenshots: Path
) -> None:
    tab = login_tab
    _submit_login(tab, email, PASSWORD)

    expect(tab.locator("h1")).to_have_text("You are signed in")
    me = tab.request.get(f"{auth_server.url}/api/auth/me")
    assert me.status == 200 and me.json()["email"] == email
    tab.screenshot(path=screenshots / f"hosted-signed-in-{width}.png", full_page=True)


def test_a_wrong_password_shows_the_error_on_the_form(
    login_tab: Page, email: str, width: str, screenshots: Path
) -> None:
    tab = login_tab
    _submit_login(tab, email, "not the password at all")

    expect(tab.locator(".error")).to_have_text("The email or password is incorrect.")
    expect(tab.locator("input[name=email]")).to_have_value(email)
    assert not _auth_cookie_names(tab)
    tab.screenshot(path=screenshots / f"hosted-login-wrong-password-{width}.png", full_page=True)


def test_repeated_failures_are_throttled_on_the_form(
    login_tab: Page, email: str, width: str, screenshots: Path
) -> None:
    tab = login_tab
    for _ in range(4):  # the server allows 3 failures per account
        _submit_login(tab, email, "guessing passwords")
        tab.locator("button[type=submit]").wait_for()

    expect(tab.locator(".error")).to_contain_text(
        re.compile(r"too many login attempts", re.IGNORECASE)
    )
    tab.screenshot(path=screenshots / f"hosted-login-throttled-{width}.png", full_page=True)


def test_logout_ends_the_session_and_returns_to_the_allowed_origin(
    auth_server: ServerProcess,
    foreign_origin: ForeignOrigin,
    login_tab: Page,
    email: str,
    width: str,
    screenshots: Path,
) -> None:
    tab = login_tab
    foreign_origin.serve("<!doctype html><title>app</title><h1 id=app>signed out app</h1>")
    _submit_login(tab, email, PASSWORD)
    expect(tab.locator("h1")).to_have_text("You are signed in")

    tab.goto(f"{auth_server.url}/logout?return_to={foreign_origin.url}/")
    tab.screenshot(path=screenshots / f"hosted-logout-{width}.png", full_page=True)
    tab.click("button[type=submit]")

    tab.wait_for_url(f"{foreign_origin.url}/")
    assert not _auth_cookie_names(tab)
    assert tab.request.get(f"{auth_server.url}/api/auth/me").status == 401


def test_a_cross_site_form_post_is_refused_with_an_error_page(
    auth_server: ServerProcess, foreign_origin: ForeignOrigin, tab: Page, email: str
) -> None:
    # localhost and 127.0.0.1 are different sites: Chromium sends Sec-Fetch-Site: cross-site.
    foreign_origin.serve(
        "<!doctype html><form method=post action='"
        f"{auth_server.url}/login'><input name=email value='{email}'>"
        f"<input name=password value='{PASSWORD}'><input name=csrf_token value=x>"
        "<button>go</button></form>"
    )
    tab.goto(foreign_origin.url.replace("127.0.0.1", "localhost") + "/")
    tab.click("button")

    expect(tab.locator("h1")).to_have_text("Origin not allowed")
    assert not _auth_cookie_names(tab)
