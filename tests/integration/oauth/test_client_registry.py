"""The client registry on a real SQLite store: audiences are never client ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from jotauth.composition import open_services
from jotauth.oauth.clients import ClientRegistry
from jotauth.oauth.consents import Consents
from jotauth.settings import Settings
from jotauth.store import open_store


async def test_a_client_id_equal_to_a_resource_audience_is_refused(tmp_path: Path) -> None:
    # An ID token's aud is its client id: a client named "lessons" would mint ID tokens
    # the lessons API accepts as its own audience (RFC 8725 §3.11, DESIGN §11).
    store = await open_store(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/j.db"))
    try:
        registry = ClientRegistry(store, reserved_ids=("lessons",), clock=lambda: 1.0)
        with pytest.raises(ValueError, match="resource audience"):
            await registry.add(
                "x",
                redirect_uris=["https://a.example/cb"],
                client_type="public",
                client_id="lessons",
            )
        assert await registry.get("lessons") is None
        added = await registry.add(
            "ok", redirect_uris=["https://a.example/cb"], client_type="confidential"
        )
        assert added.client_secret and added.client.check_secret(added.client_secret)
        stored = await registry.get(added.client.client_id)
        assert stored is not None and stored.secret_hash != added.client_secret
        assert not stored.check_secret("guess")
    finally:
        await store.close()


async def test_an_id_token_algorithm_without_a_key_is_refused_and_rs256_is_the_default(
    tmp_path: Path,
) -> None:
    store = await open_store(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/j.db"))
    try:
        registry = ClientRegistry(
            store, reserved_ids=(), id_token_algorithms=("RS256", "ES256"), clock=lambda: 1.0
        )
        with pytest.raises(ValueError, match="RS256, ES256"):
            await registry.add(
                "x",
                redirect_uris=["https://a.example/cb"],
                client_type="public",
                id_token_signed_response_alg="EdDSA",
            )
        plain = await registry.add(
            "a", redirect_uris=["https://a.example/cb"], client_type="public"
        )
        es = await registry.add(
            "b",
            redirect_uris=["https://b.example/cb"],
            client_type="public",
            id_token_signed_response_alg="ES256",
        )
        assert [c.id_token_signed_response_alg for c in await registry.list()] == ["RS256", "ES256"]
        assert plain.client.id_token_signed_response_alg == "RS256" and es.client.client_id
    finally:
        await store.close()


async def test_removing_a_client_forgets_the_consents_given_to_it(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/j.db",
        argon2_time_cost=1,
        argon2_memory_cost=64,
    )
    async with open_services(settings, signing=False) as services:
        user = await services.users.create_user("c@example.com", "a long password 1")
        registry = services.oauth_clients
        consents = Consents(services.store, clock=lambda: 2.0)
        client = (
            await registry.add("spa", redirect_uris=["https://a.example/cb"], client_type="public")
        ).client
        ids = {"user_id": user.id, "client_id": client.client_id}
        assert not await consents.covers(**ids, scope=["openid"])
        await consents.remember(**ids, scope=["openid"])
        await consents.remember(**ids, scope=["email"])  # approvals add up
        assert await consents.covers(**ids, scope=["openid", "email"])
        assert not await consents.covers(**ids, scope=["openid", "profile"])

        assert await registry.remove(client.client_id)
        # Registered again under the same id, it must ask again.
        await registry.add(
            "spa",
            redirect_uris=["https://a.example/cb"],
            client_type="public",
            client_id=client.client_id,
        )
        assert not await consents.covers(**ids, scope=["openid"])
