"""Migration 0013 (passkeys) on SQLite and PostgreSQL: down to 0012 and up again, and the
schema's constraints as the migration creates them (one credential id, one account; a
challenge purpose outside the three refused)."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Connection, exc, insert, inspect

from jotauth.store import Store
from jotauth.store.migrate import alembic_config
from jotauth.store.schema import users, webauthn_challenges, webauthn_credentials

_TABLES = {"webauthn_credentials", "webauthn_challenges"}


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) & _TABLES


def _migrate(connection: Connection, target: str, *, down: bool) -> None:
    config = alembic_config(connection)
    (command.downgrade if down else command.upgrade)(config, target)


async def test_0013_downgrades_to_0012_and_upgrades_again(store: Store) -> None:
    async with store.engine.begin() as conn:
        assert await conn.run_sync(_tables) == _TABLES
        await conn.run_sync(_migrate, "0012", down=True)
        assert await conn.run_sync(_tables) == set()
        await conn.run_sync(_migrate, "head", down=False)
        assert await conn.run_sync(_tables) == _TABLES


def _credential(id_: str, credential_id: str) -> dict[str, object]:
    return {
        "id": id_,
        "credential_id": credential_id,
        "user_id": "u" * 32,
        "public_key": b"key",
        "sign_count": 0,
        "transports": [],
        "backup_eligible": False,
        "backup_state": False,
        "aaguid": "00000000-0000-0000-0000-000000000000",
        "name": "Passkey",
        "created_at": 1.0,
    }


async def test_a_credential_id_belongs_to_one_account_and_purposes_are_closed(
    store: Store,
) -> None:
    async with store.transaction() as conn:
        await conn.execute(
            insert(users).values(
                id="u" * 32,
                email="ada@example.org",
                name="",
                password_hash="x",
                roles=[],
                scope=[],
                disabled=False,
                created_at=1.0,
                updated_at=1.0,
            )
        )
        await conn.execute(insert(webauthn_credentials).values(**_credential("a" * 32, "cred")))
    with pytest.raises(exc.IntegrityError):
        async with store.transaction() as conn:
            await conn.execute(insert(webauthn_credentials).values(**_credential("b" * 32, "cred")))
    with pytest.raises(exc.IntegrityError):
        async with store.transaction() as conn:
            await conn.execute(
                insert(webauthn_challenges).values(
                    challenge_hash="c" * 64, purpose="other", created_at=1.0, expires_at=2.0
                )
            )
