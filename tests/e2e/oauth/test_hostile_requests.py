"""Hostile and broken requests against the live provider, each answered with its RFC's
error code — and never with a redirect to an address that is not registered."""

from __future__ import annotations

import re
import secrets
import subprocess
from urllib.parse import urlencode

import httpx
import jwt
import pytest

from jotauth.oauth.pkce import s256_challenge
from tests.e2e.oauth.provider_harness import (
    JOTAUTH,
    PASSWORD,
    SPA_ORIGIN,
    WEB_LOGOUT,
    Browser,
    Client,
    ServerProcess,
    authorize,
    query_of,
    register,
    sign_in,
    signup,
    unique_email,
)


def _request(client: Client, verifier: str, **overrides: str | None) -> str:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": "openid offline_access",
        "state": secrets.token_urlsafe(8),
        "code_challenge": s256_challenge(verifier),
        "code_challenge_method": "S256",
        **overrides,
    }
    return "/oauth2/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


async def _code(
    provider: ServerProcess,
    browser: Browser,
    client: Client,
    verifier: str,
    **overrides: str | None,
) -> str:
    email = unique_email("hostile")
    await signup(provider.url, email)
    response = await authorize(browser, _request(client, verifier, **overrides), email=email)
    assert response.status_code in (302, 303), response.text
    return query_of(response.headers["location"])["code"]


async def _token(provider: ServerProcess, client: Client, **data: str) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(
            f"{provider.url}/oauth2/token",
            data=data,
            auth=(client.client_id, client.client_secret) if client.client_secret else None,
        )


def _exchange(client: Client, code: str, verifier: str | None) -> dict[str, str]:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    if client.client_secret is None:
        data["client_id"] = client.client_id
    return data


def _rfc_error(response: httpx.Response, error: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("verifier", ["x" * 43 + "wrong", None], ids=["wrong", "missing"])
async def test_a_wrong_or_missing_pkce_verifier_is_invalid_grant(
    provider: ServerProcess, browser: Browser, web_app: Client, verifier: str | None
) -> None:
    right = secrets.token_urlsafe(48)
    code = await _code(provider, browser, web_app, right)
    _rfc_error(
        await _token(provider, web_app, **_exchange(web_app, code, verifier)), "invalid_grant"
    )
    # The failed attempt used the code up: the right verifier comes too late.
    _rfc_error(await _token(provider, web_app, **_exchange(web_app, code, right)), "invalid_grant")


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge_method": "plain"},
        {"code_challenge": "too-short"},
    ],
    ids=["no-pkce", "plain", "malformed"],
)
async def test_an_authorization_request_without_s256_pkce_is_invalid_request(
    provider: ServerProcess, browser: Browser, web_app: Client, overrides: dict[str, str | None]
) -> None:
    response = await browser.get(_request(web_app, secrets.token_urlsafe(48), **overrides))
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(web_app.redirect_uri + "?")
    assert query_of(location)["error"] == "invalid_request"
    assert query_of(location)["iss"] == provider.url


async def test_a_reused_code_fails_and_revokes_what_the_first_use_issued(
    provider: ServerProcess, browser: Browser, web_app: Client
) -> None:
    verifier = secrets.token_urlsafe(48)
    code = await _code(provider, browser, web_app, verifier)
    first = await _token(provider, web_app, **_exchange(web_app, code, verifier))
    assert first.status_code == 200
    tokens = first.json()

    _rfc_error(
        await _token(provider, web_app, **_exchange(web_app, code, verifier)), "invalid_grant"
    )

    refresh = await _token(
        provider, web_app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    _rfc_error(refresh, "invalid_grant")
    async with httpx.AsyncClient() as http:
        status = await http.post(
            f"{provider.url}/oauth2/introspect",
            data={"token": tokens["access_token"]},
            auth=(web_app.client_id, web_app.client_secret or ""),
        )
    assert status.json() == {"active": False}


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://web.example.test/oauth/callback/",
        "https://web.example.test/oauth/callback?next=x",
        "https://WEB.example.test/oauth/callback",
        "https://web.example.test/oauth/callbackx",
        "https://web.example.test.evil.example/oauth/callback",
        "https://web.example.test@evil.example/oauth/callback",
        "//evil.example/oauth/callback",
        "https://evil.example/",
        "javascript:alert(1)",
        "",
    ],
)
async def test_a_redirect_uri_not_exactly_registered_gets_an_error_page_never_a_redirect(
    browser: Browser, web_app: Client, redirect_uri: str
) -> None:
    response = await browser.get(
        _request(web_app, secrets.token_urlsafe(48), redirect_uri=redirect_uri)
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "return address" in response.text


async def test_an_unknown_client_gets_an_error_page_never_a_redirect(
    browser: Browser, web_app: Client
) -> None:
    response = await browser.get(
        _request(web_app, secrets.token_urlsafe(48), client_id="no-such-client")
    )
    assert response.status_code == 400 and "location" not in response.headers


async def test_a_redirect_uri_other_than_the_codes_is_invalid_grant(
    provider: ServerProcess, browser: Browser, web_app: Client
) -> None:
    verifier = secrets.token_urlsafe(48)
    code = await _code(provider, browser, web_app, verifier)
    data = {**_exchange(web_app, code, verifier), "redirect_uri": "https://web.example.test/x"}
    _rfc_error(await _token(provider, web_app, **data), "invalid_grant")


async def test_without_state_the_response_carries_none_but_still_iss(
    provider: ServerProcess, browser: Browser, web_app: Client
) -> None:
    # OAuth 2.1 §7.5.1: PKCE is the CSRF defence, state is optional; the client that sent
    # one gets it back verbatim (asserted by the Authlib tests, which check it).
    email = unique_email("nostate")
    await signup(provider.url, email)
    response = await authorize(
        browser, _request(web_app, secrets.token_urlsafe(48), state=None), email=email
    )
    params = query_of(response.headers["location"])
    assert "state" not in params and params["code"] and params["iss"] == provider.url


async def test_prompt_none_without_a_sign_in_is_login_required(
    provider: ServerProcess, browser: Browser, web_app: Client
) -> None:
    response = await browser.get(_request(web_app, secrets.token_urlsafe(48), prompt="none"))
    assert response.status_code == 302
    assert query_of(response.headers["location"])["error"] == "login_required"


async def test_a_public_client_cannot_use_client_credentials(
    provider: ServerProcess, spa: Client
) -> None:
    response = await _token(provider, spa, grant_type="client_credentials", client_id=spa.client_id)
    _rfc_error(response, "unauthorized_client")


async def test_a_refresh_token_presented_by_another_client_is_refused_and_left_intact(
    provider: ServerProcess, browser: Browser, web_app: Client
) -> None:
    other = register(provider, "Other app", "https://other.example.test/cb", "--first-party")
    verifier = secrets.token_urlsafe(48)
    code = await _code(provider, browser, web_app, verifier)
    tokens = (await _token(provider, web_app, **_exchange(web_app, code, verifier))).json()

    stolen = await _token(
        provider, other, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    _rfc_error(stolen, "invalid_grant")
    own = await _token(
        provider, web_app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert own.status_code == 200


@pytest.mark.parametrize(
    ("content_type", "body", "error"),
    [
        ("application/json", b'{"grant_type": "client_credentials"}', "invalid_request"),
        ("application/x-www-form-urlencoded", b"\xff\xfe%%%garbage", "invalid_request"),
        ("application/x-www-form-urlencoded", b"code=x", "invalid_request"),
        ("application/x-www-form-urlencoded", b"grant_type=password", "unsupported_grant_type"),
        (
            "application/x-www-form-urlencoded",
            b"grant_type=client_credentials&grant_type=client_credentials",
            "invalid_request",
        ),
    ],
    ids=["json", "garbage", "no-grant-type", "password-grant", "repeated"],
)
async def test_the_token_endpoint_answers_broken_bodies_with_rfc6749_errors(
    provider: ServerProcess, web_app: Client, content_type: str, body: bytes, error: str
) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{provider.url}/oauth2/token",
            content=body,
            headers={"Content-Type": content_type},
            auth=(web_app.client_id, web_app.client_secret or ""),
        )
    _rfc_error(response, error)


async def test_a_wrong_client_secret_is_invalid_client_with_a_basic_challenge(
    provider: ServerProcess, web_app: Client
) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{provider.url}/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(web_app.client_id, "not-the-secret"),
        )
    _rfc_error(response, "invalid_client", status=401)
    assert response.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", f"{WEB_LOGOUT}/", f"{WEB_LOGOUT}?x=1", "//evil.example"],
)
async def test_logout_to_an_unregistered_post_logout_uri_is_an_error_page(
    browser: Browser, web_app: Client, target: str
) -> None:
    query = urlencode({"client_id": web_app.client_id, "post_logout_redirect_uri": target})
    response = await browser.get(f"/oauth2/logout?{query}")
    assert response.status_code == 400 and "location" not in response.headers


async def test_rp_initiated_logout_ends_the_sign_in_and_returns_with_state(
    provider: ServerProcess, browser: Browser, web_app: Client
) -> None:
    verifier = secrets.token_urlsafe(48)
    code = await _code(provider, browser, web_app, verifier)
    tokens = (await _token(provider, web_app, **_exchange(web_app, code, verifier))).json()
    query = urlencode(
        {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": WEB_LOGOUT, "state": "s1"}
    )
    page = await browser.get(f"/oauth2/logout?{query}")
    assert page.status_code == 200 and 'action="/oauth2/logout"' in page.text
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    done = await browser.post(
        "/oauth2/logout",
        data=fields,
        headers={"Origin": provider.url, "Sec-Fetch-Site": "same-origin"},
    )
    assert done.status_code == 303 and done.headers["location"] == f"{WEB_LOGOUT}?state=s1"
    # The browser is signed out: a new authorization request needs the login again.
    again = await browser.get(_request(web_app, verifier))
    assert again.headers["location"].startswith("/login?")


async def test_cors_answers_registered_public_client_origins_only(
    provider: ServerProcess, spa: Client
) -> None:
    async with httpx.AsyncClient() as http:
        for path in ("/oauth2/token", "/oauth2/userinfo", "/oauth2/revoke"):
            allowed = await http.options(
                f"{provider.url}{path}",
                headers={"Origin": SPA_ORIGIN, "Access-Control-Request-Method": "POST"},
            )
            assert allowed.status_code == 204
            assert allowed.headers["access-control-allow-origin"] == SPA_ORIGIN
            assert "access-control-allow-credentials" not in allowed.headers
            evil = await http.options(
                f"{provider.url}{path}",
                headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
            )
            assert "access-control-allow-origin" not in evil.headers


async def test_an_oauth_refresh_token_is_refused_by_the_first_party_refresh_endpoint(
    provider: ServerProcess, browser: Browser, web_app: Client
) -> None:
    # Else it would skip client authentication and swap the grant's scope for the user's.
    verifier = secrets.token_urlsafe(48)
    code = await _code(provider, browser, web_app, verifier)
    tokens = (await _token(provider, web_app, **_exchange(web_app, code, verifier))).json()
    async with httpx.AsyncClient() as http:
        first_party = await http.post(
            f"{provider.url}/api/auth/refresh",
            json={"refresh_token": tokens["refresh_token"], "delivery": "body"},
        )
    assert first_party.status_code == 401
    own = await _token(
        provider, web_app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert own.status_code == 200


async def test_a_third_party_client_does_not_receive_the_users_roles(
    provider: ServerProcess, browser: Browser, spa: Client, web_app: Client
) -> None:
    email = unique_email("admin")
    added = subprocess.run(
        [JOTAUTH, "users", "add", email, "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
        env=provider.env,
        cwd=provider.workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    roles = {}
    for client in (spa, web_app):
        verifier = secrets.token_urlsafe(48)
        response = await authorize(browser, _request(client, verifier), email=email)
        code = query_of(response.headers["location"])["code"]
        tokens = (await _token(provider, client, **_exchange(client, code, verifier))).json()
        claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
        roles[client.client_id] = claims["roles"]
    assert roles == {spa.client_id: [], web_app.client_id: ["admin"]}


@pytest.mark.parametrize(
    ("headers", "forge_token"),
    [
        ({"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, False),
        ({"Origin": "null"}, False),
        ({}, True),
    ],
    ids=["cross-site", "origin-null", "forged-form-token"],
)
async def test_a_forged_consent_approval_gets_no_code(
    provider: ServerProcess,
    browser: Browser,
    spa: Client,
    headers: dict[str, str],
    forge_token: bool,
) -> None:
    # Consent CSRF: another site must not approve a third-party client in the user's name.
    email = unique_email("consent")
    await signup(provider.url, email)
    await sign_in(browser, email)
    page = await browser.get(_request(spa, secrets.token_urlsafe(48)))
    assert page.status_code == 200 and 'action="/oauth2/authorize"' in page.text
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    if forge_token:
        fields["csrf_token"] = "forged"
    response = await browser.post(
        "/oauth2/authorize", data={**fields, "decision": "allow"}, headers=headers
    )
    assert response.status_code == 403 and "location" not in response.headers
