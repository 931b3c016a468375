"""oidc-client-ts (the library most SPAs use) in Chromium, as a public client on another
origin: discovery, sign-in with code + PKCE through the hosted login and consent, userinfo,
token refresh with the rotated refresh token, and RP-initiated sign-out."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.browser_demo import ForeignOrigin
from tests.e2e.server.server_process import PASSWORD, ServerProcess, running_server, unique_email

pytestmark = pytest.mark.browser

LIBRARY_DIR = Path(__file__).parent / "oidc_client_ts"
BUNDLE = (
    LIBRARY_DIR / "node_modules" / "oidc-client-ts" / "dist" / "browser" / "oidc-client-ts.min.js"
)

# The SPA: one page for every path of its origin. On /callback it completes the sign-in.
APP = """<!doctype html><title>spa</title><h1 id=app>spa</h1><pre id=out></pre>
<script>{library}</script>
<script>
  window.mgr = new oidc.UserManager({settings});
  const out = (text) => {{ document.getElementById("out").textContent = text; }};
  if (location.pathname === "/callback") {{
    mgr.signinRedirectCallback()
      .then((user) => out("signed in " + user.profile.email))
      .catch((error) => out("error " + error.message));
  }}
</script>"""


@pytest.fixture(scope="module")
def library() -> str:
    """The browser bundle of oidc-client-ts, installed from its lockfile once."""
    if not BUNDLE.is_file():
        if shutil.which("npm") is None:
            pytest.fail("npm is required (scripts/bootstrap.sh installs it)")
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=LIBRARY_DIR,
            check=True,
            timeout=300,
        )
    return BUNDLE.read_text()


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A production-mode provider."""
    workdir = tmp_path_factory.mktemp("oidc-client-ts")
    with running_server(f"sqlite+aiosqlite:///{workdir}/jotauth.db", workdir) as server:
        yield server


@pytest.fixture(scope="module")
def spa_page(provider: ServerProcess, foreign_origin: ForeignOrigin, library: str) -> str:
    """The SPA's HTML, configured with a freshly registered public client."""
    origin = foreign_origin.url
    done = provider.cli(
        "clients",
        "add",
        "oidc-client-ts SPA",
        "--public",
        "--redirect-uri",
        f"{origin}/callback",
        "--post-logout-redirect-uri",
        f"{origin}/signed-out",
    )
    assert done.returncode == 0, done.stderr
    settings = {
        "authority": provider.url,
        "client_id": json.loads(done.stdout)["client_id"],
        "redirect_uri": f"{origin}/callback",
        "post_logout_redirect_uri": f"{origin}/signed-out",
        "scope": "openid email profile offline_access",
        "loadUserInfo": True,
        "automaticSilentRenew": False,
    }
    # "</" never occurs in the JSON settings; the library bundle is trusted test input.
    return APP.format(library=library, settings=json.dumps(settings))


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A tab in a fresh profile."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def test_oidc_client_ts_signs_in_refreshes_reads_userinfo_and_signs_out(
    provider: ServerProcess, foreign_origin: ForeignOrigin, spa_page: str, page: Page
) -> None:
    email = unique_email("oidc-client-ts")
    signed_up = httpx.post(
        f"{provider.url}/api/auth/signup",
        json={"email": email, "password": PASSWORD, "delivery": "body"},
    )
    assert signed_up.status_code == 200
    foreign_origin.serve(spa_page)
    page.goto(f"{foreign_origin.url}/")
    page.evaluate("() => { void mgr.signinRedirect(); }")

    page.wait_for_url(f"{provider.url}/login?**")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("button[value=allow]")

    page.wait_for_url(f"{foreign_origin.url}/callback?**")
    expect(page.locator("#out")).to_have_text(f"signed in {email}")
    user = page.evaluate(
        "mgr.getUser().then((u) => "
        "({ profile: u.profile, refresh: u.refresh_token, at: u.access_token }))"
    )
    assert user["profile"]["email"] == email  # from userinfo (loadUserInfo)
    assert user["profile"]["email_verified"] is False and user["refresh"]

    renewed = page.evaluate(
        "mgr.signinSilent().then((u) => ({ refresh: u.refresh_token, at: u.access_token }))"
    )
    assert renewed["refresh"] != user["refresh"] and renewed["at"] != user["at"]

    page.evaluate("() => { void mgr.signoutRedirect(); }")
    page.wait_for_url(f"{provider.url}/oauth2/logout?**")
    page.click("button[type=submit]")
    page.wait_for_url(f"{foreign_origin.url}/signed-out**")
    # The provider's browser session has ended: signing in again asks for the password.
    page.evaluate("() => { void mgr.signinRedirect(); }")
    page.wait_for_url(f"{provider.url}/login?**")
