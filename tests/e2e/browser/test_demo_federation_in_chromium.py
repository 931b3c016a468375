"""The Angular demo's "Continue with NAME" and "Link NAME" in Chromium, end to end, through
panva's ``oidc-provider`` (npm, a provider nobody here wrote) started on loopback:

* the demo's sign-in page lists the auth server's providers (``/api/auth/providers``); a
  click goes through panva's login and consent pages and lands on the demo signed in, and
  the demo's account page (Sessions) lists the linked identity;
* a user signed in with a password links panva from that page (a credentialed POST with
  the XSRF header, then the provider) and comes back to it with the identity listed.

Screenshots go to ``artifacts/screenshots/federation/demo-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.browser_demo import USER, DemoServer, SignIn, running_demo
from tests.e2e.federation.panva import Panva, running_panva
from tests.support.ports import free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def panva_and_demo(
    demo_app_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Panva, DemoServer]]:
    """panva on loopback, and a demo whose auth server knows it as the provider "panva"."""
    port = free_port()  # panva must know the demo's callback before the demo runs
    redirect_uri = f"http://127.0.0.1:{port}/login/federated/panva/callback"
    with (
        running_panva(redirect_uri, tmp_path_factory.mktemp("panva")) as panva,
        running_demo(demo_app_dir, tmp_path_factory.mktemp("demo-federation"), port=port) as demo,
    ):
        done = demo.cli(*panva.add_args("panva"))
        assert done.returncode == 0, done.stderr
        yield panva, demo


@pytest.fixture
def shots(screenshots: Path) -> Path:
    (screenshots / "federation").mkdir(exist_ok=True)
    return screenshots / "federation"


def _through_panva(tab: Page, panva: Panva, login: str, shots: Path, name: str) -> None:
    """panva's development login (any login, any password), then its consent page."""
    tab.wait_for_url(f"{panva.url}/**")
    tab.fill("input[name=login]", login)
    tab.fill("input[name=password]", "anything")
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{panva.url}/**")
    tab.screenshot(path=shots / f"demo-{name}-panva-consent.png", full_page=True)
    tab.click("button[type=submit]")


def test_continue_with_panva_on_the_demo_signs_in_and_the_account_page_lists_it(
    panva_and_demo: tuple[Panva, DemoServer], page: Page, shots: Path
) -> None:
    panva, demo = panva_and_demo
    tab = page
    tab.goto(f"{demo.url}/signin?returnUrl=/sessions")
    button = tab.locator("[data-test=continue-with-panva]")
    expect(button).to_have_text("Continue with panva")
    tab.screenshot(path=shots / "demo-signin-with-providers.png", full_page=True)
    button.click()

    _through_panva(tab, panva, "ada", shots, "signin")
    # The auth server's callback moves on to the page the demo asked for, signed in.
    tab.wait_for_url(f"{demo.url}/sessions")
    expect(tab.locator("[data-test=user-email]")).to_have_text(panva.email)
    identity = tab.locator("[data-test=identity]")
    expect(identity).to_have_count(1)
    expect(identity).to_contain_text(f"panva ({panva.email})")
    # panva verified the address: the account starts verified, no "confirm your address".
    expect(tab.locator("[data-test=unverified]")).to_have_count(0)
    tab.screenshot(path=shots / "demo-signed-in-with-panva.png", full_page=True)
    me = tab.request.get(f"{demo.url}/api/auth/me").json()
    assert me["email"] == panva.email and me["has_password"] is False
    assert me["email_verified"] is True
    [listed] = me["identities"]
    assert listed["provider"] == "panva" and listed["issuer"] == panva.url

    # The session is an ordinary one: the protected lessons page opens with it.
    tab.click("a[href='/lessons']")
    tab.locator("[data-test=lesson]").first.wait_for()


def test_a_password_user_links_panva_from_the_demo_account_page(
    panva_and_demo: tuple[Panva, DemoServer], page: Page, shots: Path
) -> None:
    panva, demo = panva_and_demo
    tab = page
    SignIn(demo.url)(tab, USER)
    tab.click("a[href='/sessions']")
    expect(tab.locator("[data-test=identities]")).to_contain_text("None yet.")
    tab.click("[data-test=link-panva]")

    _through_panva(tab, panva, "grace", shots, "link")
    tab.wait_for_url(f"{demo.url}/sessions")
    expect(tab.locator("[data-test=user-email]")).to_have_text(USER[0])
    expect(tab.locator("[data-test=identity]")).to_contain_text("panva")
    expect(tab.locator("[data-test=link-panva]")).to_have_count(0)  # linked already
    tab.screenshot(path=shots / "demo-panva-linked.png", full_page=True)
    me = tab.request.get(f"{demo.url}/api/auth/me").json()
    assert me["email"] == USER[0]
    assert [i["provider"] for i in me["identities"]] == ["panva"]
