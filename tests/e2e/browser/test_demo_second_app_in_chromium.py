"""The demo's second app in Chromium: the example OpenID Connect SPA (examples/oidc_spa),
on another origin than the demo, signs the demo user in through the demo's auth server
with code + PKCE, refreshes its tokens and signs out."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.browser_demo import USER, DemoServer

pytestmark = pytest.mark.browser


def test_the_banner_links_to_the_second_app(demo_server: DemoServer) -> None:
    banner = demo_server.log.read_text(errors="replace")
    assert f"OIDC SPA    {demo_server.spa_url}/" in banner


def test_the_second_app_signs_in_through_the_demo_with_code_and_pkce(
    page: Page, demo_server: DemoServer, screenshots: Path
) -> None:
    assert demo_server.spa_url.rsplit(":", 1)[1] != demo_server.url.rsplit(":", 1)[1]
    page.goto(f"{demo_server.spa_url}/")
    expect(page.locator("[data-test=status]")).to_have_text("Not signed in")
    page.click("[data-test=sign-in]")

    page.wait_for_url(f"{demo_server.url}/login?**")
    page.fill("input[name=email]", USER[0])
    page.fill("input[name=password]", USER[1])
    page.click("button[type=submit]")
    # A third-party client: the user approves it once.
    page.click("button[value=allow]")

    expect(page.locator("[data-test=status]")).to_have_text(
        f"Signed in as {USER[0]}", timeout=15_000
    )
    page.screenshot(path=screenshots / "demo-second-app-signed-in.png")
    first = page.evaluate("spa.mgr.getUser().then((u) => u.refresh_token)")
    page.click("[data-test=refresh]")
    expect(page.locator("[data-test=details]")).to_contain_text("tokens refreshed")
    assert page.evaluate("spa.mgr.getUser().then((u) => u.refresh_token)") != first

    page.click("[data-test=sign-out]")
    page.wait_for_url(f"{demo_server.url}/oauth2/logout?**")
    page.click("button[type=submit]")
    expect(page.locator("[data-test=status]")).to_have_text("Signed out")
