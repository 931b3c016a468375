"""Consent memory at the live provider: a third-party client's consent page is shown once
for the scopes the user approved; more scopes, ``prompt=consent`` or another user ask again."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import AsyncIterator

import httpx

from tests.e2e.oauth.provider_harness import (
    Browser,
    Client,
    ServerProcess,
    authorization_url,
    authorize,
    consent,
    query_of,
    sign_in,
    signup,
    unique_email,
)

CONSENT_FORM = 'action="/oauth2/authorize"'


def _url(client: Client, scope: str, **extra: str) -> str:
    return authorization_url(client, secrets.token_urlsafe(48), scope=scope, state="st", **extra)


@contextlib.asynccontextmanager
async def _signed_in_browser(provider: ServerProcess) -> AsyncIterator[Browser]:
    browser = Browser(provider.url)
    try:
        email = unique_email("consent-memory")
        await signup(provider.url, email)
        await sign_in(browser, email)
        yield browser
    finally:
        await browser.aclose()


def _has_code(response: httpx.Response) -> bool:
    return response.status_code == 302 and "code" in query_of(response.headers["location"])


async def test_an_approved_consent_is_not_asked_again_within_its_scopes(
    provider: ServerProcess, spa: Client
) -> None:
    async with _signed_in_browser(provider) as browser:
        first = await browser.get(_url(spa, "openid email"))
        assert first.status_code == 200 and CONSENT_FORM in first.text
        approved = await authorize(browser, _url(spa, "openid email"))  # allows on the page
        assert approved.status_code == 303 and query_of(approved.headers["location"])["code"]

        # Remembered: the same scopes, fewer, and prompt=none all get a code at once.
        assert _has_code(await browser.get(_url(spa, "openid email")))
        assert _has_code(await browser.get(_url(spa, "openid")))
        assert _has_code(await browser.get(_url(spa, "email openid", prompt="none")))

        # A scope never approved asks again; prompt=none then says so to the client.
        wider = await browser.get(_url(spa, "openid email profile"))
        assert wider.status_code == 200 and CONSENT_FORM in wider.text
        refused = await browser.get(_url(spa, "openid profile", prompt="none"))
        assert query_of(refused.headers["location"])["error"] == "consent_required"
        # prompt=consent always shows the page (OIDC Core §3.1.2.1).
        forced = await browser.get(_url(spa, "openid", prompt="consent"))
        assert forced.status_code == 200 and CONSENT_FORM in forced.text


async def test_one_users_consent_does_not_approve_the_client_for_another(
    provider: ServerProcess, spa: Client
) -> None:
    async with (
        _signed_in_browser(provider) as first,
        _signed_in_browser(provider) as second,
    ):
        await authorize(first, _url(spa, "openid"))
        assert _has_code(await first.get(_url(spa, "openid")))
        other = await second.get(_url(spa, "openid"))
        assert other.status_code == 200 and CONSENT_FORM in other.text


async def test_a_denied_consent_is_not_remembered(provider: ServerProcess, spa: Client) -> None:
    async with _signed_in_browser(provider) as browser:
        denied = await consent(browser, await browser.get(_url(spa, "openid")), "deny")
        assert query_of(denied.headers["location"])["error"] == "access_denied"
        again = await browser.get(_url(spa, "openid"))
        assert again.status_code == 200 and CONSENT_FORM in again.text


async def test_removing_the_client_ends_what_it_was_granted(
    provider: ServerProcess, spa: Client
) -> None:
    async with _signed_in_browser(provider) as browser:
        added = provider.cli(
            "clients", "add", "Short-lived SPA", "--public", "--redirect-uri", spa.redirect_uri
        )
        assert added.returncode == 0, added.stderr
        short_lived = Client(json.loads(added.stdout)["client_id"], None, spa.redirect_uri)
        await authorize(browser, _url(short_lived, "openid"))
        assert _has_code(await browser.get(_url(short_lived, "openid")))
        assert provider.cli("clients", "remove", short_lived.client_id).returncode == 0
        gone = await browser.get(_url(short_lived, "openid"))
        assert gone.status_code == 400 and "not registered" in gone.text
