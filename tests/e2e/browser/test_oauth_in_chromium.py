"""A public single-page app on another origin signs in through the provider in Chromium:
authorization code + PKCE through the hosted login and the consent page, then the token
exchange and userinfo as ``fetch`` calls from the app's origin (CORS, preflight)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.browser_demo import ForeignOrigin
from tests.e2e.server.server_process import PASSWORD, ServerProcess, running_server, unique_email

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
APP_PAGE = "<!doctype html><title>spa</title><h1 id=app>the spa</h1>"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A production-mode provider (no allowlisted origins: the SPA is only a client)."""
    workdir = tmp_path_factory.mktemp("oauth-browser")
    with running_server(f"sqlite+aiosqlite:///{workdir}/jotauth.db", workdir) as server:
        yield server


@pytest.fixture(scope="module")
def spa_client(provider: ServerProcess, foreign_origin: ForeignOrigin) -> dict[str, str]:
    """The SPA, registered as a public third-party client with ``jotauth clients add``."""
    redirect_uri = f"{foreign_origin.url}/callback"
    done = provider.cli("clients", "add", "Lesson SPA", "--redirect-uri", redirect_uri, "--public")
    assert done.returncode == 0, done.stderr
    return {"client_id": json.loads(done.stdout)["client_id"], "redirect_uri": redirect_uri}


@pytest.fixture(params=sorted(WIDTHS))
def tab(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[Page, str]]:
    """A tab in a fresh profile at desktop or phone width, and the width's name."""
    w, h = WIDTHS[request.param]
    context = browser.new_context(viewport={"width": w, "height": h})
    yield context.new_page(), request.param
    context.close()


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _new_user(provider: ServerProcess, label: str) -> str:
    # Playwright's sync API runs an event loop in this thread: plain sync httpx here.
    email = unique_email(label)
    response = httpx.post(
        f"{provider.url}/api/auth/signup",
        json={"email": email, "password": PASSWORD, "delivery": "body"},
    )
    assert response.status_code == 200, response.text
    return email


def _authorize_url(
    provider: ServerProcess, client: dict[str, str], verifier: str, **extra: str
) -> str:
    query = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": client["redirect_uri"],
        "scope": "openid",
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{provider.url}/oauth2/authorize?{urlencode(query)}"


def _sign_in(page: Page, email: str) -> None:
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def _query(page: Page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def test_a_spa_on_another_origin_signs_in_with_code_and_pkce(
    provider: ServerProcess,
    foreign_origin: ForeignOrigin,
    spa_client: dict[str, str],
    tab: tuple[Page, str],
    screenshots: Path,
) -> None:
    page, width = tab
    email = _new_user(provider, "spa")
    foreign_origin.serve(APP_PAGE)
    verifier, state, nonce = (secrets.token_urlsafe(48) for _ in range(3))
    page.goto(
        _authorize_url(
            provider, spa_client, verifier, scope="openid email", state=state, nonce=nonce
        )
    )
    page.wait_for_url("**/login?**")
    _sign_in(page, email)
    expect(page.locator("h1")).to_have_text("Allow Lesson SPA?")
    expect(page.locator("[data-test=scopes]")).to_contain_text("See your email address")
    page.screenshot(path=screenshots / f"oauth-consent-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.click("button[value=allow]")

    page.wait_for_url(f"{spa_client['redirect_uri']}?**")
    expect(page.locator("#app")).to_have_text("the spa")
    params = _query(page)
    assert params["state"] == state and params["iss"] == provider.url

    # The SPA's own JavaScript, on its own origin: token exchange and userinfo over CORS.
    result = page.evaluate(
        """async ([base, body]) => {
            const token = await fetch(base + "/oauth2/token", {
                method: "POST", body: new URLSearchParams(body),
            });
            const tokens = await token.json();
            const info = await fetch(base + "/oauth2/userinfo", {
                headers: { Authorization: "Bearer " + tokens.access_token },
            });
            return { status: token.status, tokens, userinfo: await info.json() };
        }""",
        [
            provider.url,
            {
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": spa_client["redirect_uri"],
                "client_id": spa_client["client_id"],
                "code_verifier": verifier,
            },
        ],
    )
    assert result["status"] == 200 and result["tokens"]["id_token"]
    assert "refresh_token" not in result["tokens"]  # third-party, no offline_access
    assert result["userinfo"]["email"] == email and result["userinfo"]["email_verified"] is False


def test_denying_consent_returns_access_denied_to_the_spa(
    provider: ServerProcess,
    foreign_origin: ForeignOrigin,
    spa_client: dict[str, str],
    tab: tuple[Page, str],
) -> None:
    page, _ = tab
    email = _new_user(provider, "deny")
    foreign_origin.serve(APP_PAGE)
    page.goto(_authorize_url(provider, spa_client, secrets.token_urlsafe(48), state="st"))
    _sign_in(page, email)
    page.click("button[value=deny]")

    page.wait_for_url(f"{spa_client['redirect_uri']}?**")
    params = _query(page)
    assert params["error"] == "access_denied" and params["state"] == "st"


def test_an_unregistered_redirect_uri_shows_an_error_page_in_the_browser(
    provider: ServerProcess, spa_client: dict[str, str], tab: tuple[Page, str], screenshots: Path
) -> None:
    page, width = tab
    hostile = {**spa_client, "redirect_uri": "https://evil.example/callback"}
    page.goto(_authorize_url(provider, hostile, secrets.token_urlsafe(48)))
    assert page.url.startswith(provider.url)
    expect(page.locator("h1")).to_have_text("This sign-in request cannot be completed")
    page.screenshot(path=screenshots / f"oauth-error-{width}.png", full_page=True)


@pytest.fixture(scope="module")
def first_party(provider: ServerProcess, foreign_origin: ForeignOrigin) -> dict[str, str]:
    """The operator's own app: no consent page."""
    redirect_uri = f"{foreign_origin.url}/own-callback"
    done = provider.cli(
        "clients", "add", "Own app", "--redirect-uri", redirect_uri, "--public", "--first-party"
    )
    assert done.returncode == 0, done.stderr
    return {"client_id": json.loads(done.stdout)["client_id"], "redirect_uri": redirect_uri}


def test_a_first_party_client_goes_from_the_login_form_straight_back_with_a_code(
    provider: ServerProcess,
    foreign_origin: ForeignOrigin,
    first_party: dict[str, str],
    tab: tuple[Page, str],
) -> None:
    # The login POST redirects twice (to /oauth2/authorize, then to the app): Chromium
    # checks every hop against the login page's CSP form-action.
    page, _ = tab
    email = _new_user(provider, "own")
    foreign_origin.serve(APP_PAGE)
    page.goto(_authorize_url(provider, first_party, secrets.token_urlsafe(48)))
    _sign_in(page, email)

    page.wait_for_url(f"{first_party['redirect_uri']}?**")
    assert _query(page)["code"]
