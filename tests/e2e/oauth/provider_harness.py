"""A live provider for the OAuth tests: ``jotauth serve`` (the ``tests/e2e/server``
harness), clients registered with ``jotauth clients add``, and a cookie-jar browser that
signs in on the hosted login page and follows the authorization redirects by hand."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from jotauth.oauth.pkce import s256_challenge
from tests.e2e.server.server_process import (
    PASSWORD,
    Browser,
    ServerProcess,
    running_server,
    signup,
    unique_email,
)
from tests.support.databases import fresh_postgres_database
from tests.support.serve import JOTAUTH

SPA_ORIGIN = "http://spa.localhost:5173"
SPA_REDIRECT = f"{SPA_ORIGIN}/callback"
SPA_LOGOUT = f"{SPA_ORIGIN}/signed-out"
WEB_REDIRECT = "https://web.example.test/oauth/callback"
WEB_LOGOUT = "https://web.example.test/bye"

__all__ = [
    "JOTAUTH",
    "PASSWORD",
    "SPA_LOGOUT",
    "SPA_ORIGIN",
    "SPA_REDIRECT",
    "WEB_LOGOUT",
    "WEB_REDIRECT",
    "Browser",
    "Client",
    "ServerProcess",
    "authorization_url",
    "exchange_code",
    "fresh_postgres_database",
    "running_server",
    "signup",
    "unique_email",
]


@dataclass(frozen=True)
class Client:
    """A registered client as ``jotauth clients add`` printed it."""

    client_id: str
    client_secret: str | None
    redirect_uri: str


def register(server: ServerProcess, name: str, redirect_uri: str, *flags: str) -> Client:
    """``jotauth clients add NAME --redirect-uri URI FLAGS…``."""
    done = server.cli("clients", "add", name, "--redirect-uri", redirect_uri, *flags)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    return Client(printed["client_id"], printed.get("client_secret"), redirect_uri)


def authorization_url(client: Client, verifier: str, **extra: str) -> str:
    """``/oauth2/authorize?…`` for ``client`` (scope ``openid`` unless ``extra`` says)."""
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": "openid",
        "code_challenge": s256_challenge(verifier),
        "code_challenge_method": "S256",
        **extra,
    }
    return "/oauth2/authorize?" + urlencode(query)


async def exchange_code(
    server: ServerProcess, client: Client, code: str, verifier: str
) -> dict[str, Any]:
    """The token response of a code exchange (200 asserted)."""
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{server.url}/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": client.redirect_uri,
                "code_verifier": verifier,
            },
            auth=(client.client_id, client.client_secret or ""),
        )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def query_of(location: str) -> dict[str, str]:
    """The single-valued query parameters of a redirect."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def sign_in(browser: Browser, email: str, password: str = PASSWORD) -> None:
    """Submit the hosted login form (no return_to)."""
    page = await browser.get("/login")
    response = await browser.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": _form_token(page)},
        headers={"Origin": browser.base_url, "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 200, response.text


async def authorize(browser: Browser, url: str, *, email: str | None = None) -> httpx.Response:
    """Follow an authorization request through the hosted login (signing in as ``email``
    when asked) and the consent page (allowing), up to the redirect to the client."""
    response = await browser.get(_path(url, browser))
    for _ in range(6):
        location = _path(response.headers.get("location", ""), browser)
        if response.status_code in (302, 303) and location.startswith(("/login", "/oauth2/")):
            if location.startswith("/login") and email is not None:
                response = await _submit_login(browser, location, email)
            else:
                response = await browser.get(location)
            continue
        if response.status_code == 200 and 'action="/oauth2/authorize"' in response.text:
            response = await consent(browser, response, "allow")
            continue
        if response.status_code == 200 and 'action="/login"' in response.text and email:
            response = await _submit_login_page(browser, response, email)
            continue
        return response
    raise AssertionError("too many redirects")


async def _submit_login(browser: Browser, location: str, email: str) -> httpx.Response:
    page = await browser.get(location)
    if page.status_code in (302, 303):
        return page
    return await _submit_login_page(browser, page, email)


async def _submit_login_page(browser: Browser, page: httpx.Response, email: str) -> httpx.Response:
    return_to = re.search(r'name="return_to" value="([^"]*)"', page.text)
    data = {"email": email, "password": PASSWORD, "csrf_token": _form_token(page)}
    if return_to:
        data["return_to"] = _unescape(return_to.group(1))
    return await browser.post(
        "/login", data=data, headers={"Origin": browser.base_url, "Sec-Fetch-Site": "same-origin"}
    )


async def consent(browser: Browser, page: httpx.Response, decision: str) -> httpx.Response:
    """Answer the consent page ``page`` with ``decision`` (``allow`` or ``deny``)."""
    fields = dict(
        (name, _unescape(value))
        for name, value in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
    )
    return await browser.post(
        "/oauth2/authorize",
        data={**fields, "decision": decision},
        headers={"Origin": browser.base_url, "Sec-Fetch-Site": "same-origin"},
    )


def _form_token(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def _unescape(value: str) -> str:
    return (
        value.replace("&amp;", "&")
        .replace("&#34;", '"')
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
    )


def _path(url: str, browser: Browser) -> str:
    return url.removeprefix(browser.base_url)
