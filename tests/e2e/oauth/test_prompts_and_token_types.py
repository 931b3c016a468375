"""``prompt``, ``max_age`` and token confusion (RFC 8725 §3.11) at the live provider."""

from __future__ import annotations

import secrets
import time

import httpx
import jwt

from tests.e2e.oauth.provider_harness import (
    Browser,
    Client,
    ServerProcess,
    authorization_url,
    authorize,
    exchange_code,
    query_of,
    sign_in,
    signup,
    unique_email,
)


def _url(client: Client, verifier: str, **extra: str) -> str:
    return authorization_url(client, verifier, **extra)


async def _signed_in(provider: ServerProcess, browser: Browser) -> str:
    email = unique_email("prompt")
    await signup(provider.url, email)
    await sign_in(browser, email)
    return email


async def _id_token(provider: ServerProcess, client: Client, code: str, verifier: str) -> str:
    token: str = (await exchange_code(provider, client, code, verifier))["id_token"]
    return token


async def test_a_signed_in_browser_gets_a_code_without_the_login_page(
    provider: ServerProcess, browser: Browser, web_app: Client
) -> None:
    await _signed_in(provider, browser)
    response = await browser.get(_url(web_app, secrets.token_urlsafe(48), prompt="none"))
    assert response.status_code == 302 and query_of(response.headers["location"])["code"]


async def test_prompt_login_shows_the_form_although_signed_in_and_renews_auth_time(
    provider: ServerProcess, browser: Browser, web_app: Client
) -> None:
    email = await _signed_in(provider, browser)
    before = time.time()
    time.sleep(1.1)  # auth_time has a resolution of one second
    verifier = secrets.token_urlsafe(48)
    first = await browser.get(_url(web_app, verifier, prompt="login"))
    assert (
        first.headers["location"].startswith("/login?")
        and "prompt=login" in first.headers["location"]
    )
    form = await browser.get(first.headers["location"])
    assert form.status_code == 200 and 'action="/login"' in form.text

    done = await authorize(browser, _url(web_app, verifier, prompt="login"), email=email)
    code = query_of(done.headers["location"])["code"]
    claims = jwt.decode(
        await _id_token(provider, web_app, code, verifier), options={"verify_signature": False}
    )
    assert claims["auth_time"] > before


async def test_max_age_exceeded_sends_the_browser_to_the_login_again(
    provider: ServerProcess, browser: Browser, web_app: Client
) -> None:
    await _signed_in(provider, browser)
    time.sleep(1.1)
    stale = await browser.get(_url(web_app, secrets.token_urlsafe(48), max_age="0"))
    assert stale.headers["location"].startswith("/login?")
    assert "max_age" not in stale.headers["location"]  # no loop after the fresh sign-in
    fresh = await browser.get(_url(web_app, secrets.token_urlsafe(48), max_age="3600"))
    assert query_of(fresh.headers["location"])["code"]


async def test_prompt_none_for_a_third_party_client_without_consent_is_consent_required(
    provider: ServerProcess, browser: Browser, spa: Client
) -> None:
    await _signed_in(provider, browser)
    response = await browser.get(_url(spa, secrets.token_urlsafe(48), prompt="none", state="s"))
    params = query_of(response.headers["location"])
    assert params["error"] == "consent_required" and params["state"] == "s"


async def test_an_id_token_is_never_accepted_as_an_access_token(
    provider: ServerProcess, browser: Browser, web_app: Client
) -> None:
    await _signed_in(provider, browser)
    verifier = secrets.token_urlsafe(48)
    response = await browser.get(_url(web_app, verifier))
    id_token = await _id_token(
        provider, web_app, query_of(response.headers["location"])["code"], verifier
    )
    async with httpx.AsyncClient() as http:
        userinfo = await http.get(
            f"{provider.url}/oauth2/userinfo", headers={"Authorization": f"Bearer {id_token}"}
        )
        me = await http.get(
            f"{provider.url}/api/auth/me", headers={"Authorization": f"Bearer {id_token}"}
        )
    assert (
        userinfo.status_code == 401
        and 'error="invalid_token"' in userinfo.headers["www-authenticate"]
    )
    assert me.status_code == 401


async def test_userinfo_refuses_a_client_credentials_token_and_challenges_a_bare_request(
    provider: ServerProcess, web_app: Client
) -> None:
    async with httpx.AsyncClient() as http:
        machine = await http.post(
            f"{provider.url}/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(web_app.client_id, web_app.client_secret or ""),
        )
        token = machine.json()["access_token"]
        refused = await http.get(
            f"{provider.url}/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"}
        )
        bare = await http.get(f"{provider.url}/oauth2/userinfo")
    assert refused.status_code == 401
    assert bare.status_code == 401 and bare.headers["www-authenticate"] == 'Bearer realm="jotauth"'


async def test_an_expired_access_cookie_is_renewed_from_the_refresh_cookie(
    provider: ServerProcess, browser: Browser, web_app: Client
) -> None:
    # The provider's sign-in lasts as long as the browser's session, not its access cookie.
    await _signed_in(provider, browser)
    old_refresh = browser.jar["__Host-jot_refresh"]
    del browser.jar["__Host-jot_access"]  # what a browser does when the cookie expires
    response = await browser.get(_url(web_app, secrets.token_urlsafe(48), prompt="none"))
    assert response.status_code == 302 and query_of(response.headers["location"])["code"]
    assert browser.jar["__Host-jot_access"] and browser.jar["__Host-jot_refresh"] != old_refresh

    # A session that ended cannot be renewed: login_required.
    await browser.post("/api/auth/logout", headers={**browser.xsrf(), "Origin": provider.url})
    browser.jar.pop("__Host-jot_access", None)
    browser.jar["__Host-jot_refresh"] = old_refresh
    ended = await browser.get(_url(web_app, secrets.token_urlsafe(48), prompt="none"))
    assert query_of(ended.headers["location"])["error"] == "login_required"
