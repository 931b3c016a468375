"""Signing in with another identity provider in Chromium, end to end, against two providers
nobody here wrote the protocol side of for this purpose:

* panva's ``oidc-provider`` (npm, ``tests/e2e/federation/oidc_provider``), started on loopback
  with a client and an account configured by this test: "Continue with panva" on the hosted
  login page creates an account (the address is verified there) and signs it in;
* a second ``jotauth serve`` as the upstream provider (its OAuth 2.1 / OIDC provider, client
  registered with ``jotauth clients add``): a signed-in user links it from the account API,
  then signs in with it inside the OIDC authorize flow of the downstream jotauth's own
  provider, whose ID token says ``amr: ["fed"]``.

The upstream jotauth lives on ``localhost``, the downstream on ``127.0.0.1``: cookies are per
host, not per port, so two servers on one host would share (and overwrite) their cookies.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from jotauth import jose
from tests.e2e.browser.browser_demo import ForeignOrigin
from tests.e2e.federation.panva import Panva, running_panva
from tests.e2e.server.server_process import PASSWORD, ServerProcess, running_server, server_env
from tests.support.otp import enrol_totp, oathtool_code
from tests.support.ports import free_port

pytestmark = pytest.mark.browser

APP_PAGE = "<!doctype html><title>spa</title><h1 id=app>the spa</h1>"


@pytest.fixture(scope="module")
def downstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The jotauth whose hosted login shows "Continue with …" (on 127.0.0.1)."""
    workdir = tmp_path_factory.mktemp("federation-downstream")
    with running_server(f"sqlite+aiosqlite:///{workdir}/jotauth.db", workdir) as server:
        yield server


@pytest.fixture(scope="module")
def panva(downstream: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Panva]:
    """panva/oidc-provider on loopback, and the downstream's provider "panva" pointing at it."""
    redirect_uri = f"{downstream.url}/login/federated/panva/callback"
    with running_panva(redirect_uri, tmp_path_factory.mktemp("panva")) as started:
        done = downstream.cli(*started.add_args("panva"))
        assert done.returncode == 0, done.stderr
        yield started


@pytest.fixture(scope="module")
def upstream(
    downstream: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A second ``jotauth serve`` (on localhost) as the provider "corp" of the downstream."""
    workdir = tmp_path_factory.mktemp("federation-upstream")
    port = free_port()
    env = server_env(
        f"sqlite+aiosqlite:///{workdir}/jotauth.db",
        port,
        JOTAUTH_ISSUER=f"http://localhost:{port}",
        JOTAUTH_ALLOWED_ORIGINS="[]",
    )
    server = ServerProcess(env, port, workdir)
    try:
        server.wait_ready(timeout=120)  # two servers and Chromium on a shared machine
        _add_upstream(downstream, server, "corp")
        yield server
    finally:
        server.stop()


def _add_upstream(
    downstream: ServerProcess, upstream: ServerProcess, name: str, *extra: str
) -> dict[str, object]:
    """Register the downstream as a client of the upstream jotauth and add it as provider
    ``name`` (``extra``: more ``providers add`` options); what ``providers add`` printed."""
    registered = upstream.cli(
        "clients", "add", f"Downstream jotauth ({name})",
        "--redirect-uri", f"{downstream.url}/login/federated/{name}/callback",
        "--confidential", "--first-party",
    )  # fmt: skip
    assert registered.returncode == 0, registered.stderr
    client = json.loads(registered.stdout)
    done = downstream.cli(
        "providers", "add", name, "--issuer", f"http://localhost:{upstream.port}",
        "--client-id", client["client_id"], "--client-secret", client["client_secret"], *extra,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    added: dict[str, object] = json.loads(done.stdout)
    return added


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    yield context.new_page()
    context.close()


@pytest.fixture
def shots(screenshots: Path) -> Path:
    folder = screenshots / "federation"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _signup(server: ServerProcess, email: str) -> None:
    # Playwright's sync API runs an event loop in this thread: plain sync httpx here.
    response = httpx.post(
        f"{server.url}/api/auth/signup",
        json={"email": email, "password": PASSWORD, "delivery": "body"},
    )
    assert response.status_code == 200, response.text


def _me(page: Page, base: str) -> dict[str, object]:
    """``/api/auth/me`` with the browser profile's cookies (the hosted pages' CSP forbids
    script fetches, so through Playwright's request context, which shares the cookie jar)."""
    answer = page.request.get(f"{base}/api/auth/me")
    assert answer.status == 200, answer.text()
    result: dict[str, object] = answer.json()
    return result


def test_continue_with_panva_creates_an_account_and_signs_it_in(
    downstream: ServerProcess, panva: Panva, page: Page, shots: Path
) -> None:
    page.goto(f"{downstream.url}/login")
    button = page.locator("[data-test=continue-with-panva]")
    expect(button).to_have_text("Continue with panva")
    page.screenshot(path=shots / "login-with-providers.png", full_page=True)
    button.click()

    # panva's own development login and consent pages.
    page.wait_for_url(f"{panva.url}/**")
    page.fill("input[name=login]", "ada")
    page.fill("input[name=password]", "anything")
    page.screenshot(path=shots / "panva-login.png", full_page=True)
    page.click("button[type=submit]")
    page.wait_for_url(f"{panva.url}/**")
    page.screenshot(path=shots / "panva-consent.png", full_page=True)
    page.click("button[type=submit]")

    page.wait_for_url(f"{downstream.url}/login/federated/panva/callback?**")
    expect(page.locator("[data-test=signed-in-with]")).to_have_text("Signed in with panva.")
    page.screenshot(path=shots / "signed-in-with-panva.png", full_page=True)
    me = _me(page, downstream.url)
    assert me["email"] == panva.email and me["has_password"] is False
    [identity] = me["identities"]  # type: ignore[misc]
    assert identity["provider"] == "panva" and identity["issuer"] == panva.url


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_a_jotauth_upstream_is_linked_then_used_inside_the_authorize_flow(
    downstream: ServerProcess,
    upstream: ServerProcess,
    foreign_origin: ForeignOrigin,
    browser: Browser,
    page: Page,
    shots: Path,
) -> None:
    email = f"corp-{secrets.token_hex(4)}@example.org"
    _signup(downstream, email)  # the account exists downstream, with a password
    _signup(upstream, email)  # and the same person has an account at the upstream
    upstream_origin = f"http://localhost:{upstream.port}"

    # 1. Signed in downstream with the password, the user links "corp" (an upstream that
    # says email_verified=false could never link itself by address: the link needs this).
    page.goto(f"{downstream.url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("You are signed in")
    # What the demo's account page does (an SPA on the auth server's origin): POST with the
    # XSRF header, then navigate to the answer's location.
    xsrf = next(c["value"] for c in page.context.cookies() if c["name"] == "XSRF-TOKEN")
    started = page.request.post(
        f"{downstream.url}/login/federated/corp?link=1", headers={"X-XSRF-TOKEN": xsrf}
    )
    assert started.status == 200, started.text()
    page.goto(started.json()["location"])
    page.wait_for_url(f"{upstream_origin}/login?**")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.screenshot(path=shots / "jotauth-upstream-login.png", full_page=True)
    page.click("button[type=submit]")
    page.wait_for_url(f"{downstream.url}/login/federated/corp/callback?**")
    expect(page.locator("[data-test=linked]")).to_contain_text("sign in with corp")
    page.screenshot(path=shots / "corp-linked.png", full_page=True)
    linked = _me(page, downstream.url)
    assert [i["provider"] for i in linked["identities"]] == ["corp"]  # type: ignore[attr-defined]

    # 2. In a fresh browser, an app of the downstream's own OIDC provider asks for a sign-in;
    # the user picks "Continue with corp" and ends back in the authorize flow, then the app.
    registered = downstream.cli(
        "clients", "add", "Lesson SPA", "--redirect-uri", f"{foreign_origin.url}/cb",
        "--public", "--first-party",
    )  # fmt: skip
    assert registered.returncode == 0, registered.stderr
    client_id = json.loads(registered.stdout)["client_id"]
    foreign_origin.serve(APP_PAGE)
    fresh = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        tab = fresh.new_page()
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": f"{foreign_origin.url}/cb",
            "scope": "openid",
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
            "state": "app-state",
            "nonce": nonce,
        }
        tab.goto(f"{downstream.url}/oauth2/authorize?{urlencode(query)}")
        tab.wait_for_url(f"{downstream.url}/login?**")
        tab.screenshot(path=shots / "authorize-login-with-providers-390.png", full_page=True)
        assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        tab.click("[data-test=continue-with-corp]")
        tab.wait_for_url(f"{upstream_origin}/login?**")
        tab.fill("input[name=email]", email)
        tab.fill("input[name=password]", PASSWORD)
        tab.click("button[type=submit]")
        tab.wait_for_url(f"{foreign_origin.url}/cb?**")
        expect(tab.locator("#app")).to_have_text("the spa")
        params = {k: v[0] for k, v in parse_qs(urlsplit(tab.url).query).items()}
    finally:
        fresh.close()
    assert params["state"] == "app-state" and params["iss"] == downstream.url
    tokens = httpx.post(
        f"{downstream.url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": f"{foreign_origin.url}/cb",
            "client_id": client_id,
            "code_verifier": verifier,
        },
    ).json()
    _header, claims = jose.decode_unverified(tokens["id_token"])
    assert claims["amr"] == ["fed"] and claims["nonce"] == nonce
    assert claims["sub"] == linked["id"]  # the account the identity was linked to


# --- second factors after the provider's sign-in (issue 14) -----------------------------------


def _enrol_totp(server: ServerProcess, email: str) -> str:
    """TOTP for an existing password account, over the API (a fresh login is a recent
    authentication); the secret, whose current code is used up by the confirmation."""
    login = httpx.post(
        f"{server.url}/api/auth/login",
        json={"email": email, "password": PASSWORD, "delivery": "body"},
    )
    assert login.status_code == 200, login.text
    return enrol_totp(server.url, login.json()["access_token"])[0]


def _second_step(page: Page, secret: str) -> None:
    """The hosted "Confirm it's you" step, with the next code (the current one is spent)."""
    expect(page.locator("h1")).to_have_text("Confirm it's you")
    page.fill("input#code", oathtool_code(secret, time.time() + 30))
    page.click("[data-test=totp-form] button[type=submit]")


def _panva_sign_in(page: Page, downstream: ServerProcess, panva: Panva) -> None:
    page.goto(f"{downstream.url}/login")
    page.click("[data-test=continue-with-panva]")
    page.wait_for_url(f"{panva.url}/**")
    page.fill("input[name=login]", "ada")
    page.fill("input[name=password]", "anything")
    page.click("button[type=submit]")
    page.wait_for_url(f"{panva.url}/**")
    page.click("button[type=submit]")  # consent
    page.wait_for_url(f"{downstream.url}/login/federated/panva/callback?**")


def test_an_account_with_totp_confirms_it_after_continue_with_panva(
    downstream: ServerProcess, panva: Panva, browser: Browser, page: Page, shots: Path
) -> None:
    # The account "ada" at panva has (or gets) here, signed in once, then enrols TOTP.
    _panva_sign_in(page, downstream, panva)
    expect(page.locator("[data-test=signed-in-with]")).to_have_text("Signed in with panva.")
    xsrf = {
        "X-XSRF-TOKEN": next(
            c["value"] for c in page.context.cookies() if c["name"] == "XSRF-TOKEN"
        )
    }
    setup = page.request.post(f"{downstream.url}/api/auth/mfa/totp/setup", headers=xsrf)
    assert setup.status == 200, setup.text()
    secret = setup.json()["secret"]
    confirmed = page.request.post(
        f"{downstream.url}/api/auth/mfa/totp/confirm",
        data={"code": oathtool_code(secret, time.time())},
        headers=xsrf,
    )
    assert confirmed.status == 200, confirmed.text()
    fresh = browser.new_context(viewport={"width": 1100, "height": 760})
    try:
        tab = fresh.new_page()
        _panva_sign_in(tab, downstream, panva)
        # panva is one factor (it says nothing of a second, and is not trusted with it).
        assert not any(c["name"].endswith("jot_access") for c in fresh.cookies())
        tab.screenshot(path=shots / "second-step-after-panva.png", full_page=True)
        _second_step(tab, secret)
        expect(tab.locator("h1")).to_have_text("You are signed in")
        me = _me(tab, downstream.url)
        assert me["email"] == panva.email and me["amr"] == ["fed", "otp", "mfa"]
    finally:
        fresh.close()
        reset = downstream.cli("users", "reset-mfa", panva.email)
        assert reset.returncode == 0, reset.stderr


@pytest.fixture(scope="module")
def vouching_upstream(downstream: ServerProcess, upstream: ServerProcess) -> str:
    """The same upstream jotauth as provider "corpmfa", added with ``--accept-mfa``."""
    assert _add_upstream(downstream, upstream, "corpmfa", "--accept-mfa")["accept_mfa"] is True
    return "corpmfa"


def test_an_upstream_trusted_with_mfa_that_proved_two_factors_skips_the_second_step(
    downstream: ServerProcess,
    upstream: ServerProcess,
    vouching_upstream: str,
    browser: Browser,
    page: Page,
    shots: Path,
) -> None:
    email = f"corpmfa-{secrets.token_hex(4)}@example.org"
    _signup(downstream, email)
    _signup(upstream, email)
    downstream_secret = _enrol_totp(downstream, email)
    upstream_origin = f"http://localhost:{upstream.port}"

    # 1. Signed in downstream (password, then its own second step), the user links corpmfa;
    # the upstream account has no second factor yet, so its ID token says amr ["pwd"].
    page.goto(f"{downstream.url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    _second_step(page, downstream_secret)
    expect(page.locator("h1")).to_have_text("You are signed in")
    xsrf = next(c["value"] for c in page.context.cookies() if c["name"] == "XSRF-TOKEN")
    started = page.request.post(
        f"{downstream.url}/login/federated/{vouching_upstream}?link=1",
        headers={"X-XSRF-TOKEN": xsrf},
    )
    assert started.status == 200, started.text()
    page.goto(started.json()["location"])
    page.wait_for_url(f"{upstream_origin}/login?**")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{downstream.url}/login/federated/{vouching_upstream}/callback?**")
    expect(page.locator("[data-test=linked]")).to_contain_text(f"sign in with {vouching_upstream}")

    # 2. The upstream account gets TOTP; in a fresh browser the user signs in through it
    # with both factors there, and the downstream takes the provider's word (amr mfa).
    upstream_secret = _enrol_totp(upstream, email)
    fresh = browser.new_context(viewport={"width": 1100, "height": 760})
    try:
        tab = fresh.new_page()
        tab.goto(f"{downstream.url}/login")
        tab.click(f"[data-test=continue-with-{vouching_upstream}]")
        tab.wait_for_url(f"{upstream_origin}/login?**")
        tab.fill("input[name=email]", email)
        tab.fill("input[name=password]", PASSWORD)
        tab.click("button[type=submit]")
        tab.screenshot(path=shots / "upstream-second-step.png", full_page=True)
        _second_step(tab, upstream_secret)  # at the upstream
        tab.wait_for_url(f"{downstream.url}/login/federated/{vouching_upstream}/callback?**")
        expect(tab.locator("[data-test=signed-in-with]")).to_have_text(
            f"Signed in with {vouching_upstream}."
        )
        tab.screenshot(path=shots / "signed-in-with-mfa-from-upstream.png", full_page=True)
        me = _me(tab, downstream.url)
        assert me["email"] == email and me["amr"] == ["fed", "mfa"]
    finally:
        fresh.close()
