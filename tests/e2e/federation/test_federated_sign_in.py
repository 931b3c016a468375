"""Signing in with another provider over real HTTP: ``jotauth serve`` (a subprocess), fake
upstream providers on loopback (``fake_providers.py``) and a cookie-jar browser. The happy
paths, the linking rules, and every hostile answer the issue names."""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from jotauth import jose
from tests.e2e.federation.conftest import Upstreams
from tests.e2e.federation.fake_providers import FakeProvider, FakeUser
from tests.e2e.server.server_process import PASSWORD, Browser, ServerProcess, signup
from tests.support.otp import oathtool_code

HTML = {"Accept": "text/html,application/xhtml+xml"}


def _user(email: str | None = None, *, verified: bool = True, numeric: bool = False) -> FakeUser:
    sub = str(secrets.randbelow(10**9)) if numeric else "sub-" + secrets.token_hex(6)
    return FakeUser(sub, email or f"fed-{secrets.token_hex(4)}@example.org", verified)


async def _start(browser: Browser, name: str, **query: str) -> str:
    """``GET /login/federated/NAME``: the provider's authorization URL."""
    suffix = f"?{urlencode(query)}" if query else ""
    started = await browser.get(f"/login/federated/{name}{suffix}", headers=HTML)
    assert started.status_code == 303, started.text
    return started.headers["location"]


async def _at_provider(location: str) -> str:
    """The provider signs its ``next_user`` in and redirects back: the callback URL."""
    async with httpx.AsyncClient() as http:
        answer = await http.get(location)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def _callback(browser: Browser, server: ServerProcess, url: str) -> httpx.Response:
    return await browser.get(url.removeprefix(server.url), headers=HTML)


async def federate(
    browser: Browser, server: ServerProcess, name: str, **query: str
) -> httpx.Response:
    """The whole round trip; the callback's answer."""
    return await _callback(
        browser, server, await _at_provider(await _start(browser, name, **query))
    )


async def _me(browser: Browser) -> dict[str, object]:
    response = await browser.get("/api/auth/me")
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _users(server: ServerProcess) -> list[str]:
    """Every account's address (read from the store: a CLI start costs seconds here)."""
    with _db(server) as db:
        return [row[0] for row in db.execute("SELECT email FROM users")]


def _db(server: ServerProcess) -> sqlite3.Connection:
    return sqlite3.connect(Path(server.workdir) / "jotauth.db")


# --- happy paths ---------------------------------------------------------------------------


async def test_a_github_shaped_provider_creates_an_account_and_signs_it_in_again(
    server: ServerProcess, upstreams: Upstreams, browser: Browser
) -> None:
    user = _user(numeric=True)
    upstreams.github.next_user = user
    answer = await federate(browser, server, "gh")
    assert answer.status_code == 200, answer.text
    assert "Signed in with gh" in answer.text
    me = await _me(browser)
    assert me["email"] == user.email  # the primary, verified address of /user/emails
    assert me["has_password"] is False
    assert me["email_verified"] is True  # the provider vouched for it: no mail to confirm
    [identity] = me["identities"]  # type: ignore[misc]
    assert identity["provider"] == "gh" and identity["email"] == user.email
    sessions = (await browser.get("/api/auth/sessions")).json()["sessions"]
    assert sessions[0]["amr"] == ["fed"]

    again = Browser(server.url)
    try:
        assert (await federate(again, server, "gh")).status_code == 200
        assert (await _me(again))["id"] == me["id"]  # the same (issuer, sub): the same account
    finally:
        await again.aclose()
    with _db(server) as db:
        events = db.execute(
            "SELECT detail FROM audit_events WHERE event = 'login' AND user_id = ?", (me["id"],)
        ).fetchall()
    assert len(events) == 2 and all('"provider": "gh"' in row[0] for row in events)


async def test_return_to_is_followed_after_the_sign_in(
    server: ServerProcess, upstreams: Upstreams, browser: Browser
) -> None:
    upstreams.oidc.next_user = _user()
    answer = await federate(browser, server, "fake", return_to="http://app.localhost:4200/x")
    # A page that moves on (meta refresh): the provider's form-action cannot list the app.
    assert answer.status_code == 200
    assert '<meta http-equiv="refresh" content="0; url=http://app.localhost:4200/x">' in answer.text
    assert (await _me(browser))["identities"]


async def test_an_oidc_sign_in_sends_state_nonce_and_pkce_and_the_redirect_carries_iss(
    server: ServerProcess, browser: Browser
) -> None:
    location = await _start(browser, "fake")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert query["redirect_uri"] == f"{server.url}/login/federated/fake/callback"
    assert set(query["scope"].split()) == {"openid", "email", "profile"}
    cookie = next(k for k in browser.jar if k.endswith("jot_federation"))
    assert query["state"] not in browser.jar[cookie]  # sealed, not readable


async def _account_with_totp(server: ServerProcess, browser: Browser) -> tuple[str, str]:
    """A new password account of example.com with TOTP enrolled: its address and secret."""
    email = f"twostep-{secrets.token_hex(4)}@example.com"
    await signup(server.url, email)
    login = await browser.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 204
    setup = await browser.post("/api/auth/mfa/totp/setup", headers=browser.xsrf())
    secret = setup.json()["secret"]
    confirmed = await browser.post(
        "/api/auth/mfa/totp/confirm",
        json={"code": oathtool_code(secret, time.time())},
        headers=browser.xsrf(),
    )
    assert confirmed.status_code == 200, confirmed.text
    return email, secret


async def test_an_account_with_a_second_factor_proves_it_after_the_provider(
    server: ServerProcess, upstreams: Upstreams, browser: Browser
) -> None:
    email, secret = await _account_with_totp(server, browser)
    other = Browser(server.url)
    try:
        upstreams.trusted.next_user = _user(email)
        answer = await federate(other, server, "trusted")
        # The provider's sign-in is one factor: the account's own second one comes next.
        assert answer.status_code == 200 and "Confirm it" in answer.text, answer.text
        assert not any(name.endswith(("jot_access", "jot_refresh")) for name in other.jar)
        fields = dict(re.findall(r'name="(csrf_token|mfa_token)" value="([^"]+)"', answer.text))
        done = await other.post(
            "/login/mfa",
            data={**fields, "method": "totp", "code": oathtool_code(secret, time.time() + 30)},
            headers={**HTML, "Sec-Fetch-Site": "same-origin"},
        )
        assert done.status_code == 200 and "You are signed in" in done.text, done.text
        me = (await other.get("/api/auth/me")).json()
        assert me["email"] == email and me["amr"] == ["fed", "otp", "mfa"]
    finally:
        await other.aclose()


@pytest.mark.parametrize(
    ("provider", "amr", "vouched"),
    [
        ("vouching", ["pwd", "otp", "mfa"], True),  # --accept-mfa and amr lists mfa
        ("vouching", ["hwk", "mfa"], True),
        ("vouching", "mfa", False),  # a string, not an array: vouches for nothing
        ("vouching", ["mfa", 7], False),
        ("vouching", ["pwd"], False),  # one factor at the provider
        ("vouching", None, False),  # no amr at all
        ("trusted", ["pwd", "otp", "mfa"], False),  # a provider not trusted with it
    ],
    ids=repr,
)
async def test_a_provider_vouches_for_the_second_factor_only_when_accepted_and_asserted(
    server: ServerProcess,
    upstreams: Upstreams,
    browser: Browser,
    provider: str,
    amr: object,
    vouched: bool,
) -> None:
    email, _ = await _account_with_totp(server, browser)
    upstream: FakeProvider = getattr(upstreams, "vouching" if provider == "vouching" else provider)
    other = Browser(server.url)
    try:
        upstream.next_user = _user(email)
        upstream.id_token_overrides = {"amr": amr}
        answer = await federate(other, server, provider)
        if vouched:
            assert answer.status_code == 200 and "Confirm it" not in answer.text, answer.text
            me = await _me(other)
            assert me["email"] == email and me["amr"] == ["fed", "mfa"]
        else:
            # The account's own second step, and no session before it.
            assert answer.status_code == 200 and "Confirm it" in answer.text, answer.text
            assert not any(name.endswith(("jot_access", "jot_refresh")) for name in other.jar)
    finally:
        upstream.id_token_overrides = {}
        await other.aclose()


def test_accept_mfa_is_listed_and_refused_for_an_oauth2_provider(
    server: ServerProcess, upstreams: Upstreams
) -> None:
    listed = server.cli("providers", "list")
    assert listed.returncode == 0, listed.stderr
    flags = {p["name"]: p["accept_mfa"] for p in map(json.loads, listed.stdout.splitlines())}
    assert flags["vouching"] is True and flags["trusted"] is False and flags["gh"] is False
    refused = server.cli(*upstreams.github.add_args("gh-mfa", "--accept-mfa"))
    assert refused.returncode != 0
    assert "--accept-mfa needs an OpenID Connect provider" in refused.stderr
    assert "gh-mfa" not in server.cli("providers", "list").stdout


async def test_a_verified_address_of_a_trusted_domain_links_the_existing_account(
    server: ServerProcess, upstreams: Upstreams, browser: Browser
) -> None:
    email = f"staff-{secrets.token_hex(4)}@example.com"
    await signup(server.url, email)
    upstreams.trusted.next_user = _user(email)
    assert (await federate(browser, server, "trusted")).status_code == 200
    me = await _me(browser)
    assert me["email"] == email and me["has_password"] is True
    assert [i["provider"] for i in me["identities"]] == ["trusted"]  # type: ignore[attr-defined,index]


# --- linking rules -------------------------------------------------------------------------


async def test_an_unverified_address_of_an_existing_account_links_nothing_and_takes_nothing(
    server: ServerProcess, upstreams: Upstreams, browser: Browser
) -> None:
    email = f"victim-{secrets.token_hex(4)}@example.com"
    await signup(server.url, email)
    upstreams.trusted.next_user = _user(email, verified=False)  # even a trusted domain
    answer = await federate(browser, server, "trusted")
    assert answer.status_code == 409
    assert "already exists" in answer.text and "<html" in answer.text
    assert not any(name.endswith("jot_access") for name in browser.jar)
    with _db(server) as db:
        rows = db.execute(
            "SELECT count(*) FROM federated_identities WHERE email = ?", (email,)
        ).fetchone()
    assert rows == (0,)


async def test_a_verified_address_from_an_untrusted_provider_asks_to_sign_in_first(
    server: ServerProcess, upstreams: Upstreams, browser: Browser
) -> None:
    email = f"someone-{secrets.token_hex(4)}@example.org"
    await signup(server.url, email)
    upstreams.oidc.next_user = _user(email)
    answer = await federate(browser, server, "fake")
    assert answer.status_code == 409 and "link this provider from your account page" in answer.text
    assert not any(name.endswith("jot_access") for name in browser.jar)


async def test_an_unverified_new_address_creates_no_account(
    server: ServerProcess, upstreams: Upstreams, browser: Browser
) -> None:
    user = _user(verified=False)
    upstreams.oidc.next_user = user
    answer = await federate(browser, server, "fake")
    assert answer.status_code == 403
    assert not any(user.email in line for line in _users(server))  # type: ignore[operator]


async def test_linking_from_the_account_then_unlinking_keeps_a_way_to_sign_in(
    server: ServerProcess, upstreams: Upstreams, browser: Browser
) -> None:
    email = f"linker-{secrets.token_hex(4)}@example.org"
    await signup(server.url, email)
    login = await browser.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 204
    refused = await browser.post("/login/federated/fake?link=1")  # no XSRF header
    assert refused.status_code == 403
    upstreams.oidc.next_user = _user(f"other-{secrets.token_hex(4)}@elsewhere.test")
    started = await browser.post("/login/federated/fake?link=1", headers=browser.xsrf())
    assert started.status_code == 200, started.text
    answer = await _callback(browser, server, await _at_provider(started.json()["location"]))
    assert answer.status_code == 200 and "fake is linked" in answer.text
    me = await _me(browser)
    assert me["email"] == email  # the account is unchanged, the identity is added
    [identity] = me["identities"]  # type: ignore[misc]

    unlinked = await browser.delete(
        f"/api/auth/identities/{identity['id']}", headers=browser.xsrf()
    )
    assert unlinked.status_code == 204  # the password remains
    assert (await _me(browser))["identities"] == []


async def test_the_last_way_to_sign_in_cannot_be_unlinked_until_a_password_is_set(
    server: ServerProcess, upstreams: Upstreams, browser: Browser
) -> None:
    user = _user()
    upstreams.oidc.next_user = user
    assert (await federate(browser, server, "fake")).status_code == 200
    [identity] = (await _me(browser))["identities"]  # type: ignore[misc]
    path = f"/api/auth/identities/{identity['id']}"
    last = await browser.delete(path, headers=browser.xsrf())
    assert last.status_code == 409 and last.json()["code"] == "last_sign_in_method"

    new_password = "a brand new passphrase"
    set_it = await browser.post(
        "/api/auth/password/set", json={"new_password": new_password}, headers=browser.xsrf()
    )
    assert set_it.status_code == 204, set_it.text
    again = await browser.post(
        "/api/auth/password/set", json={"new_password": new_password}, headers=browser.xsrf()
    )
    assert again.status_code == 409 and again.json()["code"] == "password_already_set"
    assert (await browser.delete(path, headers=browser.xsrf())).status_code == 204
    async with httpx.AsyncClient(base_url=server.url) as http:
        login = await http.post(
            "/api/auth/login",
            json={"email": user.email, "password": new_password, "delivery": "body"},
        )
    assert login.status_code == 200


async def test_a_password_guess_never_signs_in_to_an_account_without_password(
    server: ServerProcess, upstreams: Upstreams, browser: Browser
) -> None:
    user = _user()
    upstreams.oidc.next_user = user
    assert (await federate(browser, server, "fake")).status_code == 200
    async with httpx.AsyncClient(base_url=server.url) as http:
        for guess in ("", " ", "correct horse battery staple"):
            login = await http.post(
                "/api/auth/login", json={"email": user.email, "password": guess}
            )
            assert login.status_code in (401, 422)


async def test_one_provider_identity_cannot_be_linked_to_a_second_account(
    server: ServerProcess, upstreams: Upstreams, browser: Browser
) -> None:
    owner = _user()
    upstreams.oidc.next_user = owner
    assert (await federate(browser, server, "fake")).status_code == 200  # account A has it
    email = f"second-{secrets.token_hex(4)}@example.org"
    await signup(server.url, email)
    other = Browser(server.url)
    try:
        await other.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        started = await other.post("/login/federated/fake?link=1", headers=other.xsrf())
        upstreams.oidc.next_user = owner  # the same (issuer, sub)
        answer = await _callback(other, server, await _at_provider(started.json()["location"]))
        assert answer.status_code == 409 and "already linked to another account" in answer.text
        assert (await _me(other))["identities"] == []
    finally:
        await other.aclose()


# --- hostile answers -----------------------------------------------------------------------


async def _no_session_and_nothing_created(browser: Browser, server: ServerProcess) -> None:
    assert not any(name.endswith("jot_access") for name in browser.jar)
    assert not any(name.endswith("jot_federation") for name in browser.jar)


@pytest.mark.parametrize("tamper", ["missing", "forged", "other_browser"])
async def test_a_missing_or_forged_state_is_refused(
    server: ServerProcess, upstreams: Upstreams, browser: Browser, tamper: str
) -> None:
    user = _user()
    upstreams.oidc.next_user = user
    callback = await _at_provider(await _start(browser, "fake"))
    parts = urlsplit(callback)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if tamper == "missing":
        del query["state"]
    elif tamper == "forged":
        query["state"] = secrets.token_urlsafe(32)
    else:
        browser.jar.clear()  # the attacker's callback URL, opened in the victim's browser
    answer = await browser.get(f"{parts.path}?{urlencode(query)}", headers=HTML)
    assert answer.status_code == 400
    assert "not started in this browser" in answer.text
    await _no_session_and_nothing_created(browser, server)
    assert not any(user.email in line for line in _users(server))  # type: ignore[operator]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"nonce": "another-nonce"}, "nonce"),
        ({"iss": "http://127.0.0.1:1/evil"}, "bad_issuer"),
        ({"aud": "another-client"}, "bad_audience"),
        ({"exp": 1_000_000}, "expired"),
    ],
    ids=["nonce-mismatch", "other-issuer", "other-audience", "expired"],
)
async def test_an_id_token_that_does_not_verify_is_refused(
    server: ServerProcess,
    upstreams: Upstreams,
    browser: Browser,
    overrides: dict[str, object],
    reason: str,
) -> None:
    user = _user()
    upstreams.oidc.next_user = user
    upstreams.oidc.id_token_overrides = overrides
    try:
        answer = await federate(browser, server, "fake")
    finally:
        upstreams.oidc.id_token_overrides = {}
    assert answer.status_code == 400, answer.text
    assert reason in answer.text
    await _no_session_and_nothing_created(browser, server)
    assert not any(user.email in line for line in _users(server))  # type: ignore[operator]


async def test_an_id_token_signed_by_another_key_is_refused(
    server: ServerProcess, upstreams: Upstreams, browser: Browser
) -> None:
    forger = jose.Key.generate("RS256")
    upstreams.oidc.sign_with = jose.Key.from_jwk(
        {**forger.private_jwk(), "kid": upstreams.oidc.key.kid}
    )
    try:
        callback = await _at_provider(await _start(browser, "fake"))
        answer = await _callback(browser, server, callback)
    finally:
        upstreams.oidc.sign_with = None
    assert answer.status_code == 400 and "bad_signature" in answer.text
    await _no_session_and_nothing_created(browser, server)


async def test_an_authorization_response_from_another_issuer_is_refused(
    server: ServerProcess, upstreams: Upstreams, browser: Browser
) -> None:
    """RFC 9207: a mix-up attack (the iss parameter names another provider)."""
    upstreams.oidc.iss_override = "http://127.0.0.1:1"
    try:
        answer = await federate(browser, server, "fake")
    finally:
        upstreams.oidc.iss_override = None
    assert answer.status_code == 400 and "iss mismatch" in answer.text


async def test_a_provider_that_is_down_gets_an_error_page_and_nothing_is_created(
    server: ServerProcess, browser: Browser
) -> None:
    down = FakeProvider(oidc=False).start()
    done = server.cli(*down.add_args("flaky"))
    assert done.returncode == 0, done.stderr
    down.next_user = user = _user(numeric=True)
    callback = await _at_provider(await _start(browser, "flaky"))
    down.stop()
    answer = await _callback(browser, server, callback)
    assert answer.status_code == 502
    assert "did not answer" in answer.text and "<html" in answer.text
    await _no_session_and_nothing_created(browser, server)
    assert not any(user.email in line for line in _users(server))  # type: ignore[operator]
    with _db(server) as db:
        assert db.execute(
            "SELECT count(*) FROM federated_identities WHERE provider = 'flaky'"
        ).fetchone() == (0,)


async def test_a_provider_answering_500_gets_the_same_page(
    server: ServerProcess, upstreams: Upstreams, browser: Browser
) -> None:
    upstreams.github.next_user = _user(numeric=True)
    upstreams.github.token_status = 500
    try:
        answer = await federate(browser, server, "gh")
    finally:
        upstreams.github.token_status = 200
    assert answer.status_code == 502


async def test_an_unknown_provider_is_a_404_page(browser: Browser) -> None:
    answer = await browser.get("/login/federated/nobody", headers=HTML)
    assert answer.status_code == 404 and "<html" in answer.text
    api = await browser.get("/login/federated/nobody/callback?code=x&state=y")
    assert api.status_code == 404 and api.json()["code"] == "unknown_provider"


async def test_a_return_to_off_the_allowlist_is_refused(browser: Browser) -> None:
    answer = await browser.get(
        "/login/federated/fake?" + urlencode({"return_to": "https://evil.test/"}), headers=HTML
    )
    assert answer.status_code == 400


# --- the command line ----------------------------------------------------------------------


def test_providers_list_never_shows_the_secret_and_the_store_keeps_it_sealed(
    server: ServerProcess, upstreams: Upstreams
) -> None:
    listed = server.cli("providers", "list")
    assert listed.returncode == 0, listed.stderr
    assert {"fake", "trusted", "gh"} <= {
        line.split('"name": "')[1].split('"')[0] for line in listed.stdout.splitlines()
    }
    assert upstreams.oidc.client_secret not in listed.stdout
    raw = (Path(server.workdir) / "jotauth.db").read_bytes()
    assert upstreams.oidc.client_secret.encode() not in raw


def test_providers_add_refuses_a_discovery_document_of_another_issuer(
    server: ServerProcess,
) -> None:
    liar = FakeProvider().start()
    try:
        done = server.cli(
            "providers",
            "add",
            "liar",
            "--issuer",
            liar.url + "/other",
            "--client-id",
            "x",
            "--client-secret",
            "y",
        )
    finally:
        liar.stop()
    assert done.returncode != 0 and "Traceback" not in done.stderr


def test_providers_remove(server: ServerProcess) -> None:
    extra = FakeProvider().start()
    try:
        assert server.cli(*extra.add_args("temporary")).returncode == 0
        duplicate = server.cli(*extra.add_args("temporary"))
        assert duplicate.returncode != 0 and "provider_exists" in duplicate.stderr
    finally:
        extra.stop()
    assert server.cli("providers", "remove", "temporary").returncode == 0
    gone = server.cli("providers", "remove", "temporary")
    assert gone.returncode != 0 and "no provider" in gone.stderr
