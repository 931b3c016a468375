"""Passkeys in real Chromium with its CDP virtual authenticator (DESIGN §13): register through
the API from the page, sign in passwordless on the hosted login page, refusals the browser
itself produces (another origin, another RP ID, a cloned counter), removal, and the page
without JavaScript or WebAuthn. Screenshots are kept under artifacts/screenshots.

The authenticator is Chromium's own (``WebAuthn.addVirtualAuthenticator``: CTAP2, internal
transport, resident keys, user verification), so the credentials, client data, signatures
and ``toJSON()`` forms are the browser's, not ours.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, expect

from tests.e2e.browser.browser_demo import ForeignOrigin
from tests.e2e.server.server_process import PASSWORD, server_env, unique_email
from tests.support.oidc_flow import CodeFlow, add_first_party_public_client
from tests.support.ports import free_port
from tests.support.serve import ServerProcess, started
from tests.support.webauthn import unb64url

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A production-mode server at http://localhost:PORT (the RP ID is ``localhost``)."""
    workdir = tmp_path_factory.mktemp("passkeys")
    port = free_port()
    env = server_env(
        f"sqlite+aiosqlite:///{workdir}/jotauth.db",
        port,
        JOTAUTH_ISSUER=f"http://localhost:{port}",
    )
    server = ServerProcess(env, port, workdir)
    server.url = f"http://localhost:{port}"
    with started(server) as running:
        yield running


class Authenticator:
    """A tab with Chromium's virtual authenticator attached through CDP."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.cdp: CDPSession = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable")
        self.id = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )["authenticatorId"]

    def credentials(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": self.id}
        )["credentials"]
        return found

    def replace(self, credential: dict[str, Any]) -> None:
        """Put ``credential`` back as given (the same key, an older counter: a clone)."""
        self.cdp.send(
            "WebAuthn.removeCredential",
            {"authenticatorId": self.id, "credentialId": credential["credentialId"]},
        )
        self.cdp.send(
            "WebAuthn.addCredential", {"authenticatorId": self.id, "credential": credential}
        )


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    created = browser.new_context(viewport={"width": 1280, "height": 800})
    yield created
    created.close()


@pytest.fixture
def tab(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def authenticator(tab: Page) -> Authenticator:
    return Authenticator(tab)


@pytest.fixture
def email(auth_server: ServerProcess) -> str:
    """A fresh account with a password."""
    address = unique_email("passkey")
    response = httpx.post(
        f"{auth_server.url}/api/auth/signup",
        json={"email": address, "password": PASSWORD, "delivery": "body"},
    )
    assert response.status_code == 200, response.text
    return address


def submit_password(page: Page, server: ServerProcess, email: str) -> None:
    """The hosted login form, filled in and sent."""
    page.goto(f"{server.url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def password_sign_in(page: Page, server: ServerProcess, email: str) -> None:
    submit_password(page, server, email)
    expect(page.locator("h1")).to_have_text("You are signed in")


def with_a_passkey(page: Page, server: ServerProcess, email: str) -> None:
    """Sign in with the password, register a passkey, and sign out again (cookies gone)."""
    password_sign_in(page, server, email)
    register(page)
    page.context.clear_cookies()


# The browser half of a registration: navigator.credentials.create() on the server's origin
# with the native JSON helpers, the credential's toJSON() back. The HTTP half goes through
# the context's own request client (the page's cookies; the hosted pages' CSP allows no
# fetch from a page that is not a passkey page, as an SPA's would).
CREATE = """async (options) => {
  const credential = await navigator.credentials.create({
    publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
  });
  return credential.toJSON();
}"""


def api(page: Page, method: str, path: str, body: object = None) -> dict[str, Any]:
    """A call of the API with the page's cookies and the XSRF header an SPA sends."""
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    response = page.context.request.fetch(
        f"{page.url.split('/', 3)[0]}//{page.url.split('/', 3)[2]}{path}",
        method=method,
        headers={"Content-Type": "application/json", "X-XSRF-TOKEN": cookies.get("XSRF-TOKEN", "")},
        data=json.dumps(body) if body is not None else None,
    )
    return {"status": response.status, "body": None if response.status == 204 else response.json()}


def register(page: Page, name: str = "Chromium") -> dict[str, Any]:
    options = api(page, "POST", "/api/auth/passkeys/register/options")
    assert options["status"] == 200, options
    credential = page.evaluate(CREATE, options["body"])
    result = api(
        page, "POST", "/api/auth/passkeys/register", {"credential": credential, "name": name}
    )
    assert result["status"] == 201, result
    return result


# A browser without the autofill (conditional mediation): only the button signs in.
NO_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"


def passkey_sign_in(page: Page, server: ServerProcess) -> None:
    """Sign in with the "Sign in with a passkey" button (the autofill turned off)."""
    page.context.clear_cookies()
    page.add_init_script(NO_AUTOFILL)
    page.goto(f"{server.url}/login")
    expect(page.locator("input[name=email]")).to_have_attribute("autocomplete", "username webauthn")
    page.click("[data-test=passkey-sign-in]")


def test_register_sign_in_passwordless_and_remove(
    auth_server: ServerProcess,
    tab: Page,
    authenticator: Authenticator,
    email: str,
    screenshots: Path,
) -> None:
    password_sign_in(tab, auth_server, email)
    created = register(tab, "Chromium virtual")
    passkey = created["body"]
    assert passkey["name"] == "Chromium virtual"
    stored = authenticator.credentials()
    assert len(stored) == 1 and stored[0]["isResidentCredential"] is True
    assert stored[0]["rpId"] == "localhost"

    # The hosted page: the browser's passkey autofill on the email field (conditional
    # mediation). Chromium's virtual authenticator answers a conditional request at once, as a
    # user picking the passkey from the autofill list would: the page signs in by itself.
    tab.context.clear_cookies()
    tab.goto(f"{auth_server.url}/login")
    expect(tab.locator("h1")).to_have_text("You are signed in")
    tab.screenshot(path=screenshots / "passkey-signed-in.png", full_page=True)
    sessions = api(tab, "GET", "/api/auth/sessions")["body"]["sessions"]
    assert [s["amr"] for s in sessions if s["current"]] == [["hwk", "mfa"]]
    me = api(tab, "GET", "/api/auth/me")["body"]
    assert me["email"] == email
    assert authenticator.credentials()[0]["signCount"] >= 1
    listed = api(tab, "GET", "/api/auth/passkeys")["body"]["passkeys"]
    assert [p["id"] for p in listed] == [passkey["id"]] and listed[0]["last_used_at"]

    # The button: a modal request for a discoverable credential.
    tab.context.clear_cookies()
    tab.add_init_script(NO_AUTOFILL)
    tab.goto(f"{auth_server.url}/login")
    expect(tab.locator("[data-test=passkey-sign-in]")).to_be_visible()
    tab.screenshot(path=screenshots / "passkey-login.png", full_page=True)
    passkey_sign_in(tab, auth_server)
    expect(tab.locator("h1")).to_have_text("You are signed in")

    # Removal (the sign-in just now is recent): the passkey signs in no more.
    removed = api(tab, "DELETE", f"/api/auth/passkeys/{passkey['id']}")
    assert removed["status"] == 204, removed
    passkey_sign_in(tab, auth_server)
    expect(tab.locator(".error").first).to_have_text("The passkey was not accepted.")
    assert not any(c["name"].endswith("jot_access") for c in tab.context.cookies())
    tab.screenshot(path=screenshots / "passkey-removed-refused.png", full_page=True)


def test_a_passkey_as_the_second_step_after_a_password(
    auth_server: ServerProcess,
    tab: Page,
    authenticator: Authenticator,
    email: str,
    screenshots: Path,
) -> None:
    with_a_passkey(tab, auth_server, email)
    # The password first (the autofill off, so the passkey does not sign in by itself).
    tab.add_init_script(NO_AUTOFILL)
    submit_password(tab, auth_server, email)
    expect(tab.locator("h1")).to_have_text("Confirm it's you")
    expect(tab.locator("[data-test=use-passkey]")).to_be_visible()
    tab.screenshot(path=screenshots / "passkey-second-step.png", full_page=True)
    tab.click("[data-test=use-passkey]")
    expect(tab.locator("h1")).to_have_text("You are signed in")
    sessions = api(tab, "GET", "/api/auth/sessions")["body"]["sessions"]
    assert [s["amr"] for s in sessions if s["current"]] == [["pwd", "hwk", "mfa"]]


def test_the_second_step_without_javascript_has_no_passkey_button(
    auth_server: ServerProcess,
    browser: Browser,
    tab: Page,
    authenticator: Authenticator,
    email: str,
) -> None:
    with_a_passkey(tab, auth_server, email)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        submit_password(page, auth_server, email)
        expect(page.locator("h1")).to_have_text("Confirm it's you")
        expect(page.locator("[data-test=passkey-second-factor]")).to_be_hidden()
        expect(page.locator("[data-test=passkey-needs-javascript]")).to_be_visible()
        expect(page.locator("[data-test=start-again]")).to_be_visible()
    finally:
        context.close()


def test_a_cloned_authenticator_is_refused(
    auth_server: ServerProcess,
    tab: Page,
    authenticator: Authenticator,
    email: str,
    screenshots: Path,
) -> None:
    password_sign_in(tab, auth_server, email)
    register(tab)
    passkey_sign_in(tab, auth_server)
    expect(tab.locator("h1")).to_have_text("You are signed in")
    copy = authenticator.credentials()[0]  # the key as it was after one sign-in
    passkey_sign_in(tab, auth_server)
    expect(tab.locator("h1")).to_have_text("You are signed in")
    # The copy (same private key, the older counter) signs next: its counter went back.
    authenticator.replace(copy)
    passkey_sign_in(tab, auth_server)
    expect(tab.locator(".error").first).to_contain_text("signature counter went backwards")
    tab.screenshot(path=screenshots / "passkey-cloned-refused.png", full_page=True)


# navigator.credentials.get() on another page, with request options our server issued.
ASSERT_ELSEWHERE = """async ([options, rpId]) => {
  const parsed = PublicKeyCredential.parseRequestOptionsFromJSON({...options, rpId});
  const credential = await navigator.credentials.get({publicKey: parsed});
  return credential.toJSON();
}"""
CREATE_ELSEWHERE = """async ([options, rpId]) => {
  const parsed = PublicKeyCredential.parseCreationOptionsFromJSON(
    {...options, rp: {...options.rp, id: rpId}});
  const credential = await navigator.credentials.create({publicKey: parsed});
  return credential.toJSON();
}"""


@pytest.mark.parametrize(
    ("host", "rp_id"),
    [("localhost", "localhost"), ("evil.localhost", "evil.localhost")],
    ids=["other-origin", "other-rp-id"],
)
def test_a_credential_from_another_origin_or_rp_id_is_refused(
    auth_server: ServerProcess,
    foreign_origin: ForeignOrigin,
    context: BrowserContext,
    email: str,
    host: str,
    rp_id: str,
) -> None:
    # Another page: http://localhost:OTHER_PORT is the same RP ID ("localhost") on another
    # origin; http://evil.localhost:OTHER_PORT is another RP ID too. The browser lets each
    # use our request and creation options under its own RP ID; the server must refuse them.
    foreign_origin.serve("<!doctype html><title>elsewhere</title><h1>elsewhere</h1>")
    port = foreign_origin.url.rsplit(":", 1)[1]
    elsewhere = context.new_page()
    authenticator = Authenticator(elsewhere)
    elsewhere.goto(f"http://{host}:{port}/")

    with httpx.Client(base_url=auth_server.url) as http:
        login = http.post(
            "/api/auth/login", json={"email": email, "password": PASSWORD, "delivery": "body"}
        )
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        options = http.post("/api/auth/passkeys/register/options", headers=auth).json()
        created = elsewhere.evaluate(CREATE_ELSEWHERE, [options, rp_id])
        refused = http.post(
            "/api/auth/passkeys/register", json={"credential": created}, headers=auth
        )
        assert (
            refused.status_code == 400 and refused.json()["code"] == "passkey_registration_refused"
        )
        assert http.get("/api/auth/passkeys", headers=auth).json() == {"passkeys": []}

    # A passkey registered properly on the server's own origin...
    home = context.new_page()
    home_authenticator = Authenticator(home)
    password_sign_in(home, auth_server, email)
    register(home)
    # ...copied (same id, same private key) into the other page's authenticator, for its RP ID.
    copied = {**home_authenticator.credentials()[0], "rpId": rp_id}
    # (in place of the one the refused registration made there: one per RP ID and user)
    authenticator.cdp.send("WebAuthn.clearCredentials", {"authenticatorId": authenticator.id})
    authenticator.cdp.send(
        "WebAuthn.addCredential", {"authenticatorId": authenticator.id, "credential": copied}
    )
    request = httpx.post(f"{auth_server.url}/api/auth/passkeys/login/options").json()
    assertion = elsewhere.evaluate(ASSERT_ELSEWHERE, [request, rp_id])
    client_data = json.loads(unb64url(assertion["response"]["clientDataJSON"]))
    assert client_data["origin"] == f"http://{host}:{port}"
    refused = httpx.post(
        f"{auth_server.url}/api/auth/passkeys/login", json={"credential": assertion}
    )
    assert refused.status_code == 401 and refused.json()["code"] == "passkey_refused"


def test_the_page_works_without_javascript(
    auth_server: ServerProcess, browser: Browser, email: str, screenshots: Path
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{auth_server.url}/login")
        expect(page.locator("[data-test=passkey]")).to_be_hidden()
        page.screenshot(path=screenshots / "passkey-login-no-javascript.png", full_page=True)
        password_sign_in(page, auth_server, email)
    finally:
        context.close()


def test_the_page_works_without_webauthn(auth_server: ServerProcess, tab: Page, email: str) -> None:
    tab.add_init_script("delete window.PublicKeyCredential;")
    tab.goto(f"{auth_server.url}/login")
    expect(tab.locator("[data-test=passkey]")).to_be_hidden()
    password_sign_in(tab, auth_server, email)


@pytest.fixture(scope="module")
def first_party(auth_server: ServerProcess, foreign_origin: ForeignOrigin) -> dict[str, str]:
    """A first-party public OIDC client redirecting to the foreign origin."""
    return add_first_party_public_client(auth_server, f"{foreign_origin.url}/passkey-callback")


def test_an_openid_sign_in_with_a_passkey_gets_an_id_token_with_hwk_and_mfa(
    auth_server: ServerProcess,
    foreign_origin: ForeignOrigin,
    first_party: dict[str, str],
    tab: Page,
    authenticator: Authenticator,
    email: str,
    screenshots: Path,
) -> None:
    with_a_passkey(tab, auth_server, email)
    foreign_origin.serve("<!doctype html><title>spa</title><h1 id=app>the spa</h1>")
    flow = CodeFlow(auth_server, first_party)
    tab.add_init_script(NO_AUTOFILL)
    tab.goto(flow.authorize_url())
    tab.wait_for_url("**/login?**")
    # The passkey form posts, then redirects to /oauth2/authorize, then to the client.
    tab.click("[data-test=passkey-sign-in]")
    tab.wait_for_url(f"{first_party['redirect_uri']}?**")
    _, claims = flow.redeem(tab.url)
    assert claims["amr"] == ["hwk", "mfa"]
    tab.screenshot(path=screenshots / "passkey-oidc-client.png", full_page=True)
