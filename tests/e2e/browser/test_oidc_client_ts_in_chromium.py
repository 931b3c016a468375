"""oidc-client-ts (the library most SPAs use) in Chromium, as a public client on another
origin: the example SPA of ``examples/oidc_spa`` (the README's recipe) signs in with code +
PKCE through the hosted login and consent, reads userinfo, refreshes its tokens with the
rotated refresh token, and signs out (RP-initiated logout)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from oidc_spa import SpaConfig, ensure_library, start_spa
from tests.e2e.server.server_process import PASSWORD, ServerProcess, running_server, unique_email

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A production-mode provider."""
    workdir = tmp_path_factory.mktemp("oidc-client-ts")
    with running_server(f"sqlite+aiosqlite:///{workdir}/jotauth.db", workdir) as server:
        yield server


@pytest.fixture(scope="module")
def spa_url(provider: ServerProcess) -> Iterator[str]:
    """The example SPA on a second loopback origin, registered as a public client."""
    ensure_library()
    server = start_spa("127.0.0.1", 0, SpaConfig(authority=provider.url, client_id="pending"))
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    done = provider.cli(
        "clients",
        "add",
        "Example SPA",
        "--public",
        "--redirect-uri",
        f"{origin}/callback",
        "--post-logout-redirect-uri",
        f"{origin}/signed-out",
    )
    assert done.returncode == 0, done.stderr
    server.spa_config = SpaConfig(  # type: ignore[attr-defined]
        authority=provider.url, client_id=json.loads(done.stdout)["client_id"]
    )
    try:
        yield origin
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A tab in a fresh profile."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def test_oidc_client_ts_signs_in_refreshes_reads_userinfo_and_signs_out(
    provider: ServerProcess, spa_url: str, page: Page, screenshots: Path
) -> None:
    email = unique_email("oidc-client-ts")
    signed_up = httpx.post(
        f"{provider.url}/api/auth/signup",
        json={"email": email, "password": PASSWORD, "delivery": "body"},
    )
    assert signed_up.status_code == 200
    page.goto(f"{spa_url}/")
    page.click("[data-test=sign-in]")

    page.wait_for_url(f"{provider.url}/login?**")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("button[value=allow]")

    expect(page.locator("[data-test=status]")).to_have_text(f"Signed in as {email}", timeout=15_000)
    page.screenshot(path=screenshots / "oidc-spa-signed-in.png")
    user = page.evaluate(
        "spa.mgr.getUser().then((u) => "
        "({ profile: u.profile, refresh: u.refresh_token, at: u.access_token }))"
    )
    assert user["profile"]["email"] == email  # from userinfo (loadUserInfo)
    assert user["profile"]["email_verified"] is False and user["refresh"]

    page.click("[data-test=userinfo]")
    expect(page.locator("[data-test=details]")).to_contain_text(f'"email": "{email}"')

    page.click("[data-test=refresh]")
    expect(page.locator("[data-test=details]")).to_contain_text("tokens refreshed")
    renewed = page.evaluate(
        "spa.mgr.getUser().then((u) => ({ refresh: u.refresh_token, at: u.access_token }))"
    )
    assert renewed["refresh"] != user["refresh"] and renewed["at"] != user["at"]

    page.click("[data-test=sign-out]")
    page.wait_for_url(f"{provider.url}/oauth2/logout?**")
    page.click("button[type=submit]")
    page.wait_for_url(f"{spa_url}/signed-out**")
    expect(page.locator("[data-test=status]")).to_have_text("Signed out")
    # The provider's browser session has ended: signing in again asks for the password.
    page.click("[data-test=sign-in]")
    page.wait_for_url(f"{provider.url}/login?**")
