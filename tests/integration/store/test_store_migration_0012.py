"""Migration 0012 (second factors) on SQLite and PostgreSQL: down to 0009 and up again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Connection, inspect

from jotauth.store import Store
from jotauth.store.migrate import alembic_config

_TABLES = {"totp_factors", "recovery_codes", "mfa_challenges"}


def _shape(connection: Connection) -> tuple[set[str], set[str]]:
    found = inspect(connection)
    columns = {column["name"] for column in found.get_columns("sessions")}
    return set(found.get_table_names()) & _TABLES, columns


def _migrate(connection: Connection, target: str, *, down: bool) -> None:
    config = alembic_config(connection)
    (command.downgrade if down else command.upgrade)(config, target)


async def test_0012_downgrades_to_0009_and_upgrades_again(store: Store) -> None:
    async with store.engine.begin() as conn:
        tables, columns = await conn.run_sync(_shape)
        assert tables == _TABLES and "auth_time" in columns
        await conn.run_sync(_migrate, "0009", down=True)
        tables, columns = await conn.run_sync(_shape)
        assert tables == set() and "auth_time" not in columns and "amr" in columns
        await conn.run_sync(_migrate, "head", down=False)
        tables, columns = await conn.run_sync(_shape)
        assert tables == _TABLES and "auth_time" in columns
