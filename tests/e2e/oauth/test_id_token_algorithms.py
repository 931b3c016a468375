"""RS256 ID tokens while access tokens are ES256 (DESIGN §11: "RS256 always offered").

A provider signing access tokens with ES256 keeps an RS256 ring beside it: ID tokens are
RS256 unless a client registered ``--id-token-alg ES256``; discovery lists exactly those two;
PyJWT (an independent verifier) checks every token with the keys of the ``jwks_uri``, and
access tokens issued through OAuth name their client (RFC 9068 §2.2)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.e2e.oauth.provider_harness import (
    WEB_REDIRECT,
    Browser,
    Client,
    ServerProcess,
    authorization_url,
    authorize,
    exchange_code,
    query_of,
    register,
    running_server,
    sign_in,
    signup,
    unique_email,
)


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``jotauth serve`` signing access tokens with ES256."""
    workdir: Path = tmp_path_factory.mktemp("oauth-es256")
    url = f"sqlite+aiosqlite:///{workdir}/jotauth.db"
    with running_server(url, workdir, JOTAUTH_ALGORITHM="ES256") as server:
        yield server


@pytest.fixture
async def browser(provider: ServerProcess) -> AsyncIterator[Browser]:
    """A signed-in cookie jar."""
    client = Browser(provider.url)
    email = unique_email("es256")
    await signup(provider.url, email)
    await sign_in(client, email)
    yield client
    await client.aclose()


async def _tokens(provider: ServerProcess, browser: Browser, client: Client) -> dict[str, Any]:
    verifier = secrets.token_urlsafe(48)
    redirect = await authorize(browser, authorization_url(client, verifier))
    code = query_of(redirect.headers["location"])["code"]
    return await exchange_code(provider, client, code, verifier)


def _metadata(provider: ServerProcess) -> dict[str, Any]:
    metadata: dict[str, Any] = httpx.get(f"{provider.url}/.well-known/openid-configuration").json()
    return metadata


def test_discovery_lists_rs256_and_the_access_token_algorithm_and_the_jwks_has_both(
    provider: ServerProcess,
) -> None:
    metadata = _metadata(provider)
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]
    jwks = httpx.get(metadata["jwks_uri"]).json()
    assert {key["alg"] for key in jwks["keys"]} == {"RS256", "ES256"}
    listed = provider.cli("keys", "list")
    assert listed.returncode == 0 and "RS256" in listed.stdout and "ES256" in listed.stdout


async def test_id_tokens_are_rs256_by_default_and_access_tokens_es256_with_client_id(
    provider: ServerProcess, browser: Browser
) -> None:
    client = register(provider, "RS256 app", WEB_REDIRECT, "--confidential", "--first-party")
    tokens = await _tokens(provider, browser, client)
    metadata = _metadata(provider)
    keys = jwt.PyJWKClient(metadata["jwks_uri"])

    id_token = tokens["id_token"]
    assert jwt.get_unverified_header(id_token)["alg"] == "RS256"
    claims = jwt.decode(
        id_token,
        keys.get_signing_key_from_jwt(id_token).key,
        algorithms=["RS256"],
        audience=client.client_id,
        issuer=metadata["issuer"],
    )
    access = jwt.decode(
        tokens["access_token"],
        keys.get_signing_key_from_jwt(tokens["access_token"]).key,
        algorithms=["ES256"],
        audience="lessons",
        issuer=metadata["issuer"],
    )
    assert access["sub"] == claims["sub"] and access["client_id"] == client.client_id
    assert jwt.get_unverified_header(tokens["access_token"])["typ"] == "at+jwt"

    refreshed = httpx.post(
        f"{provider.url}/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(client.client_id, client.client_secret or ""),
    ).json()
    assert jwt.get_unverified_header(refreshed["id_token"])["alg"] == "RS256"
    assert jwt.decode(refreshed["access_token"], options={"verify_signature": False})[
        "client_id"
    ] == (client.client_id)

    # The RS256 ring's keys verify ID tokens (id_token_hint), never access tokens.
    hint = httpx.get(
        f"{provider.url}/oauth2/logout", params={"id_token_hint": id_token}, follow_redirects=False
    )
    assert hint.status_code == 200
    me = httpx.get(
        f"{provider.url}/oauth2/userinfo", headers={"Authorization": f"Bearer {id_token}"}
    )
    assert me.status_code == 401


async def test_a_client_registered_for_es256_id_tokens_gets_them(
    provider: ServerProcess, browser: Browser
) -> None:
    client = register(
        provider,
        "ES256 app",
        WEB_REDIRECT,
        "--confidential",
        "--first-party",
        "--id-token-alg",
        "ES256",
    )
    tokens = await _tokens(provider, browser, client)
    keys = jwt.PyJWKClient(_metadata(provider)["jwks_uri"])
    id_token = tokens["id_token"]
    assert jwt.get_unverified_header(id_token)["alg"] == "ES256"
    jwt.decode(
        id_token,
        keys.get_signing_key_from_jwt(id_token).key,
        algorithms=["ES256"],
        audience=client.client_id,
    )


def test_an_id_token_algorithm_without_a_key_is_refused_at_registration(
    provider: ServerProcess,
) -> None:
    done = provider.cli(
        "clients", "add", "x", "--redirect-uri", WEB_REDIRECT, "--id-token-alg", "EdDSA"
    )
    assert done.returncode != 0 and "RS256, ES256" in done.stderr
    assert "Traceback" not in done.stderr
