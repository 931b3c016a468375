"""The client registry on a real SQLite store: audiences are never client ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from jotauth.oauth.clients import ClientRegistry
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
