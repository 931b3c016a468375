"""The WAL checkpointer that takes checkpoints off the SQLite writer's thread (issue 15)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Connection

from jotauth.settings import Settings
from jotauth.store import open_store
from jotauth.store.checkpoints import WalCheckpointer


def _wal_file(path: Path, pages: int) -> sqlite3.Connection:
    """A WAL database with ``pages`` pages written and not checkpointed; the returned open
    connection keeps its close from folding the WAL in."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # as the units writer: never in a COMMIT
    conn.execute("CREATE TABLE t (x BLOB)")
    for _ in range(pages):
        conn.execute("INSERT INTO t VALUES (randomblob(4000))")
    return conn


def test_the_checkpointer_moves_the_wal_into_the_database(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wal.db"
    keep_open = _wal_file(path, 200)
    try:
        assert path.stat().st_size < 100_000  # the rows are still in the WAL only
        checkpointer = WalCheckpointer(str(path), interval=0)
        checkpointer.wrote()
        checkpointer.close()  # waits for the checkpoints it started
        assert path.stat().st_size > 200 * 4000
    finally:
        keep_open.close()


async def test_the_store_of_a_sqlite_file_checkpoints_and_its_writer_does_not(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.db"
    store = await open_store(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
    try:

        def autocheckpoint(conn: Connection) -> int:
            return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())

        # Both writers of units, the writer thread's and the loop's (short units), hand it off.
        assert await store.write_unit(autocheckpoint) == 0
        assert await store.write_unit(autocheckpoint, short=True) == 0
        async with store.transaction() as conn:  # the async engine's writer: SQLite's default
            assert await conn.run_sync(autocheckpoint) == 1000
    finally:
        await store.close()
