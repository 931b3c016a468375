"""SQLite read units run on the event loop's thread (issue 15), and never make it wait: that
connection waits for no lock, and a read SQLite answers busy runs again in a reader thread."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Connection, event, exc, func, select, text

from jotauth.settings import Settings
from jotauth.store import Store, open_store
from jotauth.store.schema import audit_events


@pytest.fixture
async def store(sqlite_url: str) -> AsyncIterator[Store]:
    opened = await open_store(Settings(database_url=sqlite_url, sqlite_busy_timeout=1.0))
    yield opened
    await opened.close()


def _count(conn: Connection) -> tuple[int, str, int]:
    count = conn.execute(select(func.count()).select_from(audit_events)).scalar_one()
    busy_ms = conn.execute(text("PRAGMA busy_timeout")).scalar_one()
    return int(count), threading.current_thread().name, int(busy_ms)


async def test_a_read_unit_runs_on_the_loop_thread_and_never_waits_for_a_lock(
    store: Store,
) -> None:
    await store.write_unit(
        lambda conn: conn.execute(audit_events.insert().values(event="login", at=time.time()))
    )
    count, thread, busy_ms = await store.read_unit(_count)
    assert count == 1 and thread == threading.current_thread().name
    assert busy_ms == 0  # SQLite answers busy at once instead of blocking the loop


async def test_a_read_that_finds_the_database_busy_runs_again_in_a_reader_thread(
    store: Store,
) -> None:
    inline = store._inline_reads
    assert inline is not None
    busy = [True]

    @event.listens_for(inline, "begin")
    def _busy_once(conn: Any) -> None:
        if busy[0]:
            busy[0] = False
            # What a WAL reader meets while a checkpoint resets the WAL, or during recovery.
            raise exc.OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))

    count, thread, busy_ms = await store.read_unit(_count)
    assert count == 0 and thread.startswith("jotauth-sqlite-read")
    assert busy_ms == 1000  # the reader thread waits with the whole budget
    # The next read is inline again.
    assert (await store.read_unit(_count))[1] == threading.current_thread().name
