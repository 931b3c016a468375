"""Opening the store: first-start migration, SQLite file setup, outage detection."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from jotauth.settings import Settings
from jotauth.store import StoreUnavailable, UnsupportedDatabase, open_store

EXPECTED_TABLES = {"users", "sessions", "refresh_tokens", "signing_keys", "audit_events"}


async def test_first_start_creates_and_migrates_sqlite_file_readable_by_owner_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nested" / "dir" / "jotauth.db"
    store = await open_store(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
    await store.ping()
    await store.close()
    assert path.exists()
    assert (os.stat(path).st_mode & 0o777) == 0o600
    with sqlite3.connect(path) as raw:
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
        assert tables >= EXPECTED_TABLES
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_opening_a_migrated_database_again_is_a_no_op(database_url: str) -> None:
    for _ in range(2):
        store = await open_store(Settings(database_url=database_url))
        async with store.read() as conn:
            version = (
                await conn.execute(text("SELECT version_num FROM jotauth_alembic_version"))
            ).scalar_one()
        await store.close()
    assert version == "0004"


async def test_concurrent_first_starts_migrate_once(database_url: str) -> None:
    settings = Settings(database_url=database_url)
    stores = await asyncio.gather(*(open_store(settings) for _ in range(3)))
    for store in stores:
        await store.ping()
        await store.close()


async def test_sqlite_connections_use_busy_timeout_and_foreign_keys(sqlite_url: str) -> None:
    store = await open_store(Settings(database_url=sqlite_url))
    async with store.read() as conn:
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar_one() == 5000
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
    await store.close()


@pytest.mark.postgres
async def test_postgres_on_a_closed_port_is_store_unavailable() -> None:
    settings = Settings(database_url="postgresql+asyncpg://postgres@127.0.0.1:1/test")
    with pytest.raises(StoreUnavailable) as caught:
        await open_store(settings)
    assert caught.value.code == "store_unavailable"
    assert "127.0.0.1" not in caught.value.detail  # nothing internal for a client to see


@pytest.mark.postgres
async def test_postgres_backends_killed_after_start_are_replaced_transparently(
    postgres_url: str,
) -> None:
    store = await open_store(Settings(database_url=postgres_url))
    await store.ping()
    async with store.read() as conn:
        pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    # Kill every pooled backend, as a server restart would; pre-ping reconnects transparently.
    admin = await open_store(Settings(database_url=postgres_url), migrate=False)
    async with admin.read() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await admin.close()
    await store.ping()
    await store.close()


async def test_sqlite_locked_by_another_writer_is_store_unavailable(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jotauth.store.database as database

    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_S", 0.2)
    store = await open_store(Settings(database_url=sqlite_url))
    path = sqlite_url.removeprefix("sqlite+aiosqlite:///")
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailable):
            async with store.transaction() as conn:
                await conn.execute(text("DELETE FROM audit_events"))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    await store.close()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite:///:memory:",
        "sqlite+aiosqlite://",
        "sqlite:///./plain-driver.db",
        "mysql+aiomysql://root@127.0.0.1/test",
        "postgresql+psycopg2://postgres@127.0.0.1/test",
    ],
)
async def test_unsupported_database_urls_are_refused_clearly(url: str) -> None:
    with pytest.raises(UnsupportedDatabase) as caught:
        await open_store(Settings(database_url=url))
    assert caught.value.code == "unsupported_database"


@pytest.mark.postgres
async def test_postgres_connection_killed_mid_transaction_is_store_unavailable(
    postgres_url: str,
) -> None:
    store = await open_store(Settings(database_url=postgres_url))
    admin = await open_store(Settings(database_url=postgres_url), migrate=False)
    try:
        with pytest.raises(StoreUnavailable):
            async with store.transaction() as conn:
                pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                async with admin.read() as other:
                    await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                await conn.execute(text("SELECT 1"))
        await store.ping()  # the pool recovers by itself
    finally:
        await admin.close()
        await store.close()


@pytest.mark.postgres
async def test_a_deadlock_victim_is_store_unavailable_not_a_crash(postgres_url: str) -> None:
    store = await open_store(Settings(database_url=postgres_url))
    async with store.transaction() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS deadlock_probe (id int primary key)"))
        await conn.execute(text("DELETE FROM deadlock_probe"))
        await conn.execute(text("INSERT INTO deadlock_probe VALUES (1), (2)"))
    both_hold_one = asyncio.Barrier(2)

    async def lock(first: int, second: int) -> None:
        async with store.transaction() as conn:
            await conn.execute(
                text("UPDATE deadlock_probe SET id = id WHERE id = :i"), {"i": first}
            )
            await both_hold_one.wait()
            await conn.execute(
                text("UPDATE deadlock_probe SET id = id WHERE id = :i"), {"i": second}
            )

    try:
        outcomes = await asyncio.gather(lock(1, 2), lock(2, 1), return_exceptions=True)
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(errors) == 1 and isinstance(errors[0], StoreUnavailable), outcomes
    finally:
        async with store.transaction() as conn:
            await conn.execute(text("DROP TABLE deadlock_probe"))
        await store.close()
