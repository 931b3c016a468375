"""Second factors and passkeys in the Angular demo, in real Chromium, against the demo
composition (``python -m jotauth_demo``):

* passkeys with Chromium's own WebAuthn stack and a CDP virtual authenticator (ctap2, resident
  keys, user verification): register one from the Passkeys page, rename it, sign in with it
  without a password from the sign-in page, remove it; use it as the second step after the
  password ("Use a passkey", and a device that no longer has it) and in the re-authentication
  prompt before a factor change;
* TOTP from the Security page (the QR code shown as an image, the secret beside it), confirmed
  and then used at sign-in with codes computed by ``oathtool`` (Debian's, an independent
  RFC 6238 implementation), and a recovery code used once.

The demo runs as ``--host localhost``: WebAuthn takes no IP address as relying party id,
and the auth server's default one is its public URL's host.

Screenshots go to ``artifacts/screenshots/second-factors/``.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.browser.browser_demo import ADMIN, SCREENSHOTS, DemoServer, SignIn, running_demo

pytestmark = pytest.mark.browser

PASSWORD = "quiet harbour lantern 58"
SHOTS = SCREENSHOTS / "second-factors"


@pytest.fixture(scope="module")
def demo(demo_app_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    data_dir = tmp_path_factory.mktemp("demo-factors")
    with running_demo(demo_app_dir, data_dir, host="localhost") as server:
        yield server


@pytest.fixture(scope="module")
def base(demo: DemoServer) -> str:
    return demo.url


@pytest.fixture(scope="module")
def strict_demo(
    demo_app_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoServer]:
    """A demo whose factor changes need a sign-in at most 30 s old (the smallest allowed),
    and whose admins must have a second factor."""
    data_dir = tmp_path_factory.mktemp("demo-step-up")
    env = {"JOTAUTH_RECENT_AUTH_MAX_AGE": "30", "JOTAUTH_MFA_REQUIRED_ROLES": "admin"}
    with running_demo(demo_app_dir, data_dir, host="localhost", env=env) as server:
        yield server


@pytest.fixture
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def _account(demo: DemoServer) -> str:
    email = f"factors-{secrets.token_hex(4)}@example.org"
    created = httpx.post(
        f"{demo.url}/api/auth/signup",
        json={"email": email, "password": PASSWORD, "delivery": "body"},
    )
    assert created.status_code == 200, created.text
    return email


def _virtual_authenticator(context: BrowserContext, page: Page) -> tuple[Any, str]:
    """Chromium's virtual authenticator on this page: a platform one with resident keys and
    user verification that says yes by itself (no prompt in headless Chromium)."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "ctap2Version": "ctap2_1",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def _signed_in_with_a_device(
    server: DemoServer, context: BrowserContext, page: Page
) -> tuple[str, Any, str]:
    """A new account signed in on ``page``, which has a virtual authenticator: the email,
    the CDP session and the authenticator's id."""
    email = _account(server)
    cdp, authenticator = _virtual_authenticator(context, page)
    SignIn(server.url)(page, (email, PASSWORD))
    return email, cdp, authenticator


def _sign_out(page: Page) -> None:
    page.click("[data-test=logout]")
    page.wait_for_url("**/signin**")


def _register_passkey(page: Page, cdp: Any, authenticator: str, name: str) -> dict[str, Any]:
    """Register a passkey called ``name`` from the Passkeys page of a signed-in user without
    one; the virtual authenticator's credential (to put back with ``WebAuthn.addCredential``)."""
    page.click("a[href='/security']")
    page.click("[data-test=passkeys-link]")
    page.wait_for_url("**/passkeys")
    expect(page.locator("[data-test=no-passkeys]")).to_be_visible()
    page.fill("input[name=name]", name)
    page.click("[data-test=passkey-add]")
    expect(page.locator("[data-test=passkey-name]")).to_have_text(name)
    [credential] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})[
        "credentials"
    ]
    return dict(credential)


def test_a_passkey_is_registered_renamed_used_without_password_and_removed(
    demo: DemoServer, base: str, context: BrowserContext, page: Page, shots: Path
) -> None:
    email, cdp, authenticator = _signed_in_with_a_device(demo, context, page)

    credential = _register_passkey(page, cdp, authenticator, "Test laptop")
    assert credential["isResidentCredential"] is True and credential["rpId"] == "localhost"
    page.screenshot(path=shots / "demo-passkey-registered.png", full_page=True)

    page.click("[data-test=passkey-rename]")
    page.fill("input[name=passkey-name]", "Work laptop")
    page.click("[data-test=passkey-rename-save]")
    expect(page.locator("[data-test=passkey-name]")).to_have_text("Work laptop")

    # Signed out, the sign-in page asks for a passkey in the email field's autofill
    # (conditional UI); the virtual authenticator picks the one passkey at once, as a user
    # choosing it would: signed in, back on the page the user left, no email, no password.
    _sign_out(page)
    expect(page.locator("input[name=email]")).to_have_attribute("autocomplete", "username webauthn")
    page.wait_for_url("**/passkeys")
    expect(page.locator("[data-test=user-email]")).to_have_text(email)
    page.screenshot(path=shots / "demo-signed-in-with-passkey-autofill.png", full_page=True)
    [used] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert used["signCount"] >= 1

    # "Sign in with a passkey": the device with the passkey comes only after the page
    # asked the autofill (which then has none to offer), and the button asks it directly.
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
    _sign_out(page)
    page.screenshot(path=shots / "demo-signin-with-passkey-button.png", full_page=True)
    cdp, authenticator = _virtual_authenticator(context, page)
    cdp.send("WebAuthn.addCredential", {"authenticatorId": authenticator, "credential": used})
    page.click("[data-test=passkey-sign-in]")
    page.wait_for_url("**/passkeys")
    expect(page.locator("[data-test=user-email]")).to_have_text(email)
    page.screenshot(path=shots / "demo-signed-in-with-passkey.png", full_page=True)

    # The passkey sign-in is recent: removing needs no second sign-in.
    page.goto(f"{base}/passkeys")
    page.click("[data-test=passkey-remove]")
    expect(page.locator("[data-test=no-passkeys]")).to_be_visible()
    listed = page.request.get(f"{base}/api/auth/passkeys").json()
    assert listed == {"passkeys": []}


def test_a_dismissed_passkey_prompt_leaves_the_sign_in_page_usable(
    demo: DemoServer, base: str, context: BrowserContext, page: Page
) -> None:
    # An authenticator without any passkey of this site: the browser's NotAllowedError.
    _virtual_authenticator(context, page)
    page.goto(f"{base}/signin")
    page.click("[data-test=passkey-sign-in]")
    expect(page.locator("[data-test=login-error]")).to_be_visible()
    email = _account(demo)
    SignIn(base).submit(page, (email, PASSWORD))
    page.wait_for_url("**/lessons")


def _totp(secret: str, offset: str = "now") -> str:
    """A code from oathtool (Debian's RFC 6238 implementation), at ``offset``."""
    return subprocess.run(
        ["oathtool", "--totp", "-b", "-N", offset, secret],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_a_demo_on_an_ip_address_offers_no_passkey_button(
    demo_server: DemoServer, page: Page
) -> None:
    # WebAuthn takes no IP address as relying party: the server has passkeys off, and the
    # sign-in page, told so by its autofill request (404), shows no button that cannot work.
    page.goto(f"{demo_server.url}/signin")
    expect(page.locator("[data-test=sign-in]")).to_be_visible()
    expect(page.locator("[data-test=passkey-sign-in]")).to_have_count(0)


def _enrol_totp(page: Page, shots: Path | None = None) -> tuple[str, list[str]]:
    """Set up TOTP from the Security page with an oathtool code: the secret, the codes."""
    page.click("a[href='/security']")
    expect(page.locator("[data-test=totp-off]")).to_be_visible()
    page.click("[data-test=totp-setup]")
    qr = page.locator("[data-test=totp-qr]")
    expect(qr).to_be_visible()
    # The server's SVG as an image from a data: URL, never as markup in the page.
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    assert page.locator("main svg").count() == 0
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    secret = page.locator("[data-test=totp-secret]").inner_text().strip()
    if shots:
        page.screenshot(path=shots / "demo-totp-setup.png", full_page=True)
    page.fill("input[name=code]", _totp(secret))
    page.click("[data-test=totp-confirm]")
    codes = page.locator("[data-test=recovery-code]")
    expect(codes).to_have_count(10)
    recovery = [c.strip() for c in codes.all_inner_texts()]
    if shots:
        page.screenshot(path=shots / "demo-recovery-codes.png", full_page=True)
    page.click("[data-test=recovery-codes-done]")
    expect(page.locator("[data-test=totp-on]")).to_be_visible()
    return secret, recovery


def _sign_in_to_second_step(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/signin")
    SignIn(base).submit(page, (email, PASSWORD))
    page.wait_for_url("**/signin/second-step**")


def test_totp_enrolled_in_the_demo_then_oathtool_codes_and_a_recovery_code_sign_in(
    demo: DemoServer, base: str, page: Page, shots: Path
) -> None:
    email = _account(demo)
    SignIn(base)(page, (email, PASSWORD))
    secret, recovery = _enrol_totp(page, shots)
    expect(page.locator("[data-test=recovery-left]")).to_contain_text("10")

    # The password alone is no longer enough: the second step asks for a code.
    _sign_out(page)
    _sign_in_to_second_step(page, base, email)
    page.screenshot(path=shots / "demo-second-step.png", full_page=True)
    page.fill("input[name=code]", _wrong(_totp(secret)))
    page.click("[data-test=second-step-submit]")
    expect(page.locator("[data-test=second-step-error]")).to_contain_text("not right")
    # The next step's code: one step off is accepted, and it is not the one used to enrol
    # (a code is accepted once).
    page.fill("input[name=code]", _totp(secret, "now + 30 seconds"))
    page.click("[data-test=second-step-submit]")
    page.wait_for_url("**/lessons")
    expect(page.locator("[data-test=user-email]")).to_have_text(email)

    # A recovery code signs in once.
    _sign_out(page)
    _sign_in_to_second_step(page, base, email)
    page.click("[data-test=use-recovery-code]")
    page.fill("input[name=code]", recovery[0])
    page.screenshot(path=shots / "demo-second-step-recovery-code.png", full_page=True)
    page.click("[data-test=second-step-submit]")
    page.wait_for_url("**/lessons")
    _sign_out(page)
    _sign_in_to_second_step(page, base, email)
    page.click("[data-test=use-recovery-code]")
    page.fill("input[name=code]", recovery[0])
    page.click("[data-test=second-step-submit]")
    expect(page.locator("[data-test=second-step-error]")).to_be_visible()
    page.fill("input[name=code]", recovery[1])
    page.click("[data-test=second-step-submit]")
    page.wait_for_url("**/lessons")
    page.click("a[href='/security']")
    expect(page.locator("[data-test=recovery-left]")).to_contain_text("8")

    # Removed (the recovery-code sign-in is recent): the password alone signs in again.
    page.click("[data-test=totp-remove]")
    expect(page.locator("[data-test=totp-off]")).to_be_visible()
    _sign_out(page)
    SignIn(base)(page, (email, PASSWORD))


def test_the_angularjs_page_asks_for_the_second_factor_too(
    demo: DemoServer, base: str, page: Page, shots: Path
) -> None:
    email = _account(demo)
    SignIn(base)(page, (email, PASSWORD))
    secret, _codes = _enrol_totp(page)
    _sign_out(page)
    page.goto(f"{base}/legacy/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.fill("input[name=code]", _wrong(_totp(secret)))
    page.click("[data-test=legacy-code-submit]")
    expect(page.locator("[data-test=legacy-error]")).to_contain_text("not right")
    expect(page.locator("[data-test=legacy-use-recovery-code]")).to_be_visible()
    page.fill("input[name=code]", _totp(secret, "now + 30 seconds"))
    page.screenshot(path=shots / "legacy-second-step.png", full_page=True)
    page.click("[data-test=legacy-code-submit]")
    expect(page.locator("[data-test=legacy-lesson]").first).to_be_visible()


def test_an_old_sign_in_is_confirmed_with_password_and_code_before_a_factor_change(
    strict_demo: DemoServer, page: Page, shots: Path
) -> None:
    base = strict_demo.url
    email = _account(strict_demo)
    SignIn(base)(page, (email, PASSWORD))
    secret, first_codes = _enrol_totp(page)
    # Wait past recent_auth_max_age: the session's authentication is now too old for a
    # factor change, and the server answers 403 insufficient_user_authentication.
    page.wait_for_timeout(31_000)
    page.click("[data-test=recovery-regenerate]")
    prompt = page.locator("[data-test=step-up]")
    expect(prompt).to_be_visible()
    page.fill("input[name=reauth-password]", "not the password")
    page.click("[data-test=step-up-password]")
    expect(page.locator("[data-test=step-up-error]")).to_contain_text("Wrong password")
    page.fill("input[name=reauth-password]", PASSWORD)
    page.click("[data-test=step-up-password]")
    # The user has a second factor: the re-authentication asks for it too.
    code = page.locator("input[name=reauth-code]")
    expect(code).to_be_visible()
    page.screenshot(path=shots / "demo-step-up-second-factor.png", full_page=True)
    code.fill(_totp(secret, "now + 30 seconds"))
    page.click("[data-test=step-up-code]")
    expect(prompt).to_have_count(0)
    codes = page.locator("[data-test=recovery-code]")
    expect(codes).to_have_count(10)
    assert not set(codes.all_inner_texts()) & set(first_codes)
    me = page.request.get(f"{base}/api/auth/me").json()
    assert "otp" in me["amr"] and me["email"] == email


def test_an_admin_without_a_factor_enrols_one_at_the_second_step(
    strict_demo: DemoServer, page: Page, shots: Path
) -> None:
    # The policy holds the admin at login until an authenticator app is set up.
    base = strict_demo.url
    page.goto(f"{base}/signin")
    SignIn(base).submit(page, ADMIN)
    page.wait_for_url("**/signin/second-step**")
    expect(page.locator("[data-test=enrol-required]")).to_be_visible()
    page.click("[data-test=enrol-start]")
    secret = page.locator("[data-test=totp-secret]").inner_text().strip()
    expect(page.locator("[data-test=totp-qr]")).to_be_visible()
    page.screenshot(path=shots / "demo-enrolment-at-sign-in.png", full_page=True)
    page.fill("input[name=code]", _totp(secret))
    page.click("[data-test=second-step-submit]")
    expect(page.locator("[data-test=recovery-code]")).to_have_count(10)
    page.click("[data-test=recovery-codes-done]")
    page.wait_for_url("**/lessons")
    expect(page.locator("[data-test=user-email]")).to_have_text(ADMIN[0])
    me = page.request.get(f"{base}/api/auth/me").json()
    assert "otp" in me["amr"] and "totp" in me["second_factors"]


def _wrong(code: str) -> str:
    """A six-digit code that is not ``code``."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _password_then_second_step_without_the_passkey(
    page: Page, base: str, email: str, cdp: Any, authenticator: str, credential: dict[str, Any]
) -> None:
    """Sign out and sign in with email and password to the second step, ``credential`` gone
    from the device meanwhile: else the sign-in page's autofill would use it (no password)."""
    cdp.send(
        "WebAuthn.removeCredential",
        {"authenticatorId": authenticator, "credentialId": credential["credentialId"]},
    )
    _sign_out(page)
    _sign_in_to_second_step(page, base, email)


def test_password_then_use_a_passkey_at_the_second_step_signs_in_with_two_factors(
    demo: DemoServer, base: str, context: BrowserContext, page: Page, shots: Path
) -> None:
    email, cdp, authenticator = _signed_in_with_a_device(demo, context, page)
    credential = _register_passkey(page, cdp, authenticator, "Phone")

    _password_then_second_step_without_the_passkey(
        page, base, email, cdp, authenticator, credential
    )
    # A passkey is the only factor: no code to type, the passkey button.
    expect(page.locator("input[name=code]")).to_have_count(0)
    page.screenshot(path=shots / "demo-second-step-passkey.png", full_page=True)
    cdp.send("WebAuthn.addCredential", {"authenticatorId": authenticator, "credential": credential})
    page.click("[data-test=second-step-passkey]")
    page.wait_for_url("**/lessons")
    expect(page.locator("[data-test=user-email]")).to_have_text(email)
    page.locator("[data-test=lesson]").first.wait_for()
    page.screenshot(path=shots / "demo-signed-in-with-password-and-passkey.png", full_page=True)

    me = page.request.get(f"{base}/api/auth/me")
    assert me.status == 200, me.text()
    amr = me.json()["amr"]
    assert "pwd" in amr and "mfa" in amr and {"hwk", "swk"} & set(amr), amr
    [used] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert used["signCount"] > credential["signCount"]


def test_a_passkey_gone_from_the_device_leaves_the_second_step_usable(
    demo: DemoServer, base: str, context: BrowserContext, page: Page, shots: Path
) -> None:
    email, cdp, authenticator = _signed_in_with_a_device(demo, context, page)
    secret, _codes = _enrol_totp(page)
    credential = _register_passkey(page, cdp, authenticator, "Lost phone")

    # The device no longer has the passkey the server asks for: the browser says no.
    _password_then_second_step_without_the_passkey(
        page, base, email, cdp, authenticator, credential
    )
    page.click("[data-test=second-step-passkey]")
    expect(page.locator("[data-test=second-step-error]")).to_contain_text("passkey prompt")
    page.screenshot(path=shots / "demo-second-step-passkey-refused.png", full_page=True)
    assert page.request.get(f"{base}/api/auth/me").status == 401
    assert "/signin/second-step" in page.url

    # The same step still takes another try with the passkey back, or a code.
    expect(page.locator("[data-test=second-step-passkey]")).to_be_enabled()
    page.fill("input[name=code]", _totp(secret, "now + 30 seconds"))
    page.click("[data-test=second-step-submit]")
    page.wait_for_url("**/lessons")
    expect(page.locator("[data-test=user-email]")).to_have_text(email)
    amr = page.request.get(f"{base}/api/auth/me").json()["amr"]
    assert "otp" in amr and not {"hwk", "swk"} & set(amr), amr


def test_an_old_sign_in_is_confirmed_with_password_and_passkey_before_a_passkey_removal(
    strict_demo: DemoServer, context: BrowserContext, page: Page, shots: Path
) -> None:
    base = strict_demo.url
    email, cdp, authenticator = _signed_in_with_a_device(strict_demo, context, page)
    _register_passkey(page, cdp, authenticator, "Desk key")
    # Past recent_auth_max_age the removal needs a fresh authentication (403).
    page.wait_for_timeout(31_000)
    page.click("[data-test=passkey-remove]")
    prompt = page.locator("[data-test=step-up]")
    expect(prompt).to_be_visible()
    page.fill("input[name=reauth-password]", PASSWORD)
    page.click("[data-test=step-up-password]")
    # The passkey is the user's second factor: the prompt asks for it, no code field.
    expect(page.locator("[data-test=step-up-passkey]")).to_be_visible()
    expect(page.locator("input[name=reauth-code]")).to_have_count(0)
    page.screenshot(path=shots / "demo-step-up-passkey.png", full_page=True)
    page.click("[data-test=step-up-passkey]")
    expect(prompt).to_have_count(0)
    expect(page.locator("[data-test=no-passkeys]")).to_be_visible()
    me = page.request.get(f"{base}/api/auth/me").json()
    assert me["email"] == email
    assert "pwd" in me["amr"] and "mfa" in me["amr"] and {"hwk", "swk"} & set(me["amr"])
