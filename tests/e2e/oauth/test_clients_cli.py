"""``jotauth clients add|list|remove`` against the provider's store."""

from __future__ import annotations

import json

import httpx

from tests.e2e.oauth.provider_harness import ServerProcess, register


def test_a_confidential_client_gets_a_secret_once_and_list_never_shows_it(
    provider: ServerProcess,
) -> None:
    client = register(provider, "Reports", "https://reports.example.test/cb", "--confidential")
    assert client.client_secret and len(client.client_secret) >= 40
    listed = [json.loads(line) for line in provider.cli("clients", "list").stdout.splitlines()]
    mine = next(c for c in listed if c["client_id"] == client.client_id)
    assert mine["type"] == "confidential" and mine["redirect_uris"] == [client.redirect_uri]
    assert client.client_secret not in json.dumps(listed)
    assert provider.cli("clients", "list").stdout.count("secret") == 0


def test_a_public_client_has_no_secret(provider: ServerProcess) -> None:
    client = register(provider, "Mobile", "http://127.0.0.1:7777/cb", "--public")
    assert client.client_secret is None


def test_removing_a_client_stops_its_token_requests(provider: ServerProcess) -> None:
    client = register(provider, "Short-lived", "https://gone.example.test/cb")
    assert provider.cli("clients", "remove", client.client_id).returncode == 0
    response = httpx.post(
        f"{provider.url}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret or ""),
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    again = provider.cli("clients", "remove", client.client_id)
    assert again.returncode != 0 and "no client" in again.stderr


def test_unsafe_redirect_uris_are_refused_at_registration(provider: ServerProcess) -> None:
    for uri in ("http://app.example.test/cb", "https://app.example.test/cb#x", "javascript:x"):
        done = provider.cli("clients", "add", "Bad", "--redirect-uri", uri)
        assert done.returncode != 0, uri
