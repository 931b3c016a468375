"""Migration 0015 (federation_providers.accept_mfa) on SQLite and PostgreSQL: a provider
stored before it keeps working and does not vouch for a second factor; down and up again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Connection, inspect, text

from jotauth.store import Store
from jotauth.store.migrate import alembic_config

_PROVIDER = {
    "name": "old",
    "kind": "oidc",
    "issuer": "https://idp.example",
    "client_id": "c",
    "nonce": b"n" * 12,
    "sealed": b"s" * 32,
    "authorize_url": "https://idp.example/authorize",
    "token_url": "https://idp.example/token",
}


def _columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("federation_providers")}


def _migrate(connection: Connection, target: str, *, down: bool) -> None:
    config = alembic_config(connection)
    (command.downgrade if down else command.upgrade)(config, target)


def _insert_without_the_column(connection: Connection) -> None:
    connection.execute(
        text(
            "INSERT INTO federation_providers (name, kind, issuer, client_id, "
            "client_secret_nonce, client_secret_sealed, authorize_url, token_url, "
            "iss_parameter_supported, scopes, trusted_email_domains, claims, created_at) "
            "VALUES (:name, :kind, :issuer, :client_id, :nonce, :sealed, :authorize_url, "
            ":token_url, false, '[]', '[]', '{}', 0)"
        ),
        _PROVIDER,
    )


async def test_0015_adds_accept_mfa_false_for_existing_providers_and_goes_down_again(
    store: Store,
) -> None:
    async with store.engine.begin() as conn:
        assert "accept_mfa" in await conn.run_sync(_columns)
        await conn.run_sync(_migrate, "0014", down=True)
        assert "accept_mfa" not in await conn.run_sync(_columns)
        await conn.run_sync(_insert_without_the_column)
        await conn.run_sync(_migrate, "head", down=False)
        flag = await conn.scalar(
            text("SELECT accept_mfa FROM federation_providers WHERE name = 'old'")
        )
        assert flag in (False, 0)
        await conn.execute(text("DELETE FROM federation_providers WHERE name = 'old'"))
