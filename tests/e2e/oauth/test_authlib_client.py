"""Authlib's OAuth 2 client (an independent implementation) against the live provider:
discovery, code + PKCE, refresh, revocation, introspection, client_credentials; PyJWT
verifies the ID token and the access token with the keys of the discovery ``jwks_uri``."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

import httpx
import jwt
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client

from tests.e2e.oauth.provider_harness import (
    Browser,
    Client,
    ServerProcess,
    authorize,
    query_of,
    signup,
    unique_email,
)

SCOPE = "openid profile email offline_access"


async def _discover(provider: ServerProcess) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{provider.url}/.well-known/openid-configuration")
    assert response.status_code == 200
    metadata: dict[str, Any] = response.json()
    return metadata


def _authlib(client: Client, **kw: Any) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=client.client_id,
        client_secret=client.client_secret,
        redirect_uri=client.redirect_uri,
        code_challenge_method="S256",
        leeway=5,  # Authlib's default (60 s) equals the test server's token lifetime
        token_endpoint_auth_method="client_secret_basic" if client.client_secret else "none",
        **kw,
    )


async def _code_flow(
    provider: ServerProcess, browser: Browser, client: Client, scope: str = SCOPE
) -> tuple[AsyncOAuth2Client, dict[str, Any], dict[str, Any], str, str]:
    """Sign a new user in through Authlib's authorization URL; returns the token too."""
    email = unique_email("authlib")
    await signup(provider.url, email)
    metadata = await _discover(provider)
    oauth = _authlib(client, scope=scope)
    verifier = generate_token(48)
    nonce = secrets.token_urlsafe(16)
    url, state = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    redirect = await authorize(browser, url, email=email)
    location = redirect.headers["location"]
    assert location.startswith(client.redirect_uri + "?")
    assert query_of(location)["iss"] == metadata["issuer"]  # RFC 9207
    token = await oauth.fetch_token(
        metadata["token_endpoint"],
        authorization_response=location,
        code_verifier=verifier,
        state=state,
    )
    return oauth, dict(token), metadata, nonce, email


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


async def test_discovery_lists_exactly_what_is_implemented(provider: ServerProcess) -> None:
    metadata = await _discover(provider)
    assert metadata["issuer"] == provider.url
    assert metadata["authorization_endpoint"] == f"{provider.url}/oauth2/authorize"
    assert metadata["token_endpoint"] == f"{provider.url}/oauth2/token"
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert set(metadata["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "client_credentials",
    }
    assert "RS256" in metadata["id_token_signing_alg_values_supported"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    async with httpx.AsyncClient() as http:
        rfc8414 = await http.get(f"{provider.url}/.well-known/oauth-authorization-server")
    assert rfc8414.json() == metadata


async def test_code_with_pkce_gives_tokens_that_pyjwt_verifies_from_the_jwks_uri(
    provider: ServerProcess, browser: Browser, web_app: Client
) -> None:
    oauth, token, metadata, nonce, email = await _code_flow(provider, browser, web_app)
    assert token["token_type"] == "Bearer" and token["refresh_token"]
    keys = jwt.PyJWKClient(metadata["jwks_uri"])

    id_token = token["id_token"]
    claims = jwt.decode(
        id_token,
        keys.get_signing_key_from_jwt(id_token).key,
        algorithms=["RS256"],
        audience=web_app.client_id,
        issuer=metadata["issuer"],
    )
    assert claims["nonce"] == nonce
    assert claims["at_hash"] == _at_hash(token["access_token"])
    assert claims["amr"] == ["pwd"] and claims["sid"] and claims["auth_time"] <= claims["iat"]
    assert jwt.get_unverified_header(id_token)["typ"] == "JWT"

    access = jwt.decode(
        token["access_token"],
        keys.get_signing_key_from_jwt(token["access_token"]).key,
        algorithms=["RS256"],
        audience="lessons",
        issuer=metadata["issuer"],
    )
    assert access["sub"] == claims["sub"]
    assert jwt.get_unverified_header(token["access_token"])["typ"] == "at+jwt"

    userinfo = await oauth.get(metadata["userinfo_endpoint"])
    assert userinfo.json() == {
        "sub": claims["sub"],
        "email": email,
        "email_verified": False,
        "name": "",
    }
    await oauth.aclose()


async def test_an_oauth_clients_access_token_cannot_manage_the_account(
    provider: ServerProcess, browser: Browser, web_app: Client
) -> None:
    """A client may act within its grant at resource servers, never list or end the user's
    sessions or change the password at the auth server's own account endpoints."""
    oauth, token, _metadata, _nonce, _email = await _code_flow(provider, browser, web_app)
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    async with httpx.AsyncClient(base_url=provider.url) as http:
        for method, path in (
            ("GET", "/api/auth/me"),
            ("GET", "/api/auth/sessions"),
            ("POST", "/api/auth/logout-all"),
        ):
            response = await http.request(method, path, headers=bearer)
            assert response.status_code == 401, (path, response.text)
            assert response.json()["code"] == "not_first_party"
        # Nothing ended: the grant's refresh token still works.
        refreshed = await oauth.refresh_token(
            _metadata["token_endpoint"], refresh_token=token["refresh_token"]
        )
        assert refreshed["access_token"]
    await oauth.aclose()


async def test_refresh_rotates_and_revocation_ends_the_grant(
    provider: ServerProcess, browser: Browser, web_app: Client
) -> None:
    oauth, token, metadata, _, _ = await _code_flow(provider, browser, web_app)
    refreshed = await oauth.refresh_token(
        metadata["token_endpoint"], refresh_token=token["refresh_token"]
    )
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert refreshed["id_token"] and refreshed["access_token"] != token["access_token"]

    active = await oauth.introspect_token(
        metadata["introspection_endpoint"], token=refreshed["access_token"]
    )
    assert active.json()["active"] is True
    assert active.json()["client_id"] == web_app.client_id

    revoked = await oauth.revoke_token(
        metadata["revocation_endpoint"],
        token=refreshed["refresh_token"],
        token_type_hint="refresh_token",
    )
    assert revoked.status_code == 200
    after = await oauth.introspect_token(
        metadata["introspection_endpoint"], token=refreshed["access_token"]
    )
    assert after.json() == {"active": False}
    async with httpx.AsyncClient() as http:
        again = await http.post(
            metadata["token_endpoint"],
            data={"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]},
            auth=(web_app.client_id, web_app.client_secret or ""),
        )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    await oauth.aclose()


async def test_client_credentials_for_a_confidential_client(
    provider: ServerProcess, web_app: Client
) -> None:
    metadata = await _discover(provider)
    oauth = _authlib(web_app, scope="lessons:read")
    token = await oauth.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert "refresh_token" not in token and "id_token" not in token
    keys = jwt.PyJWKClient(metadata["jwks_uri"])
    claims = jwt.decode(
        token["access_token"],
        keys.get_signing_key_from_jwt(token["access_token"]).key,
        algorithms=["RS256"],
        audience="lessons",
        issuer=metadata["issuer"],
    )
    assert claims["sub"] == web_app.client_id and claims["scope"] == "lessons:read"
    status = await oauth.introspect_token(
        metadata["introspection_endpoint"], token=token["access_token"]
    )
    assert status.json()["active"] is True
    await oauth.aclose()


async def test_a_public_spa_signs_in_after_consent_without_a_secret(
    provider: ServerProcess, browser: Browser, spa: Client
) -> None:
    oauth, token, metadata, _, _ = await _code_flow(provider, browser, spa, scope="openid email")
    assert "refresh_token" not in token  # third-party, no offline_access
    assert token["scope"] == "openid email"
    userinfo = await oauth.get(metadata["userinfo_endpoint"])
    assert set(userinfo.json()) == {"sub", "email", "email_verified"}
    await oauth.aclose()


@pytest.mark.parametrize("scope", ["openid offline_access"])
async def test_a_public_client_asking_offline_access_gets_a_refresh_token(
    provider: ServerProcess, browser: Browser, spa: Client, scope: str
) -> None:
    oauth, token, metadata, _, _ = await _code_flow(provider, browser, spa, scope=scope)
    refreshed = await oauth.refresh_token(
        metadata["token_endpoint"], refresh_token=token["refresh_token"]
    )
    assert refreshed["access_token"]
    await oauth.aclose()
