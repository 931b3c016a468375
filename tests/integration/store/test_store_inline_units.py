"""SQLite units on the event loop's thread (issue 15), which they never make wait: read units
and lone short write units run there on a connection that waits for no lock, and whatever
SQLite answers busy runs again in a reader or the writer thread, with the whole budget.
Queued write units and units not marked short keep going through the writer thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from typing import Any

import pytest
from sqlalchemy import Connection, event, exc, func, insert, select, text

from jotauth.store import Store, StoreUnavailable
from jotauth.store.schema import audit_events
from tests.integration.store.audit_units import add_event, event_names
from tests.integration.store.conftest import SQLITE_STORE_BUSY_TIMEOUT_S as TIMEOUT_S
from tests.support.loop_ticks import loop_ticks


def _busy_once(sqlite_store: Store) -> None:
    """The inline connection's next BEGIN meets SQLite busy: what a WAL reader meets while a
    checkpoint resets the WAL, or during recovery; what a writer meets while another process
    writes."""
    inline = sqlite_store._inline_units
    assert inline is not None
    busy = [True]

    @event.listens_for(inline, "begin")
    def _busy(conn: Any) -> None:
        if busy[0]:
            busy[0] = False
            raise exc.OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))


# --- read units ------------------------------------------------------------------------------


def _count(conn: Connection) -> tuple[int, str, int]:
    count = conn.execute(select(func.count()).select_from(audit_events)).scalar_one()
    busy_ms = conn.execute(text("PRAGMA busy_timeout")).scalar_one()
    return int(count), threading.current_thread().name, int(busy_ms)


async def test_a_read_unit_runs_on_the_loop_thread_and_never_waits_for_a_lock(
    sqlite_store: Store,
) -> None:
    await sqlite_store.write_unit(
        lambda conn: conn.execute(audit_events.insert().values(event="login", at=time.time()))
    )
    count, thread, busy_ms = await sqlite_store.read_unit(_count)
    assert count == 1 and thread == threading.current_thread().name
    assert busy_ms == 0  # SQLite answers busy at once instead of blocking the loop


async def test_a_read_that_finds_the_database_busy_runs_again_in_a_reader_thread(
    sqlite_store: Store,
) -> None:
    _busy_once(sqlite_store)
    count, thread, busy_ms = await sqlite_store.read_unit(_count)
    assert count == 0 and thread.startswith("jotauth-sqlite-read")
    assert busy_ms == 1000  # the reader thread waits with the whole budget
    # The next read is inline again.
    assert (await sqlite_store.read_unit(_count))[1] == threading.current_thread().name


# --- write units ----------------------------------------------------------------------------


async def test_a_lone_short_unit_commits_on_the_loop_thread(sqlite_store: Store) -> None:
    threads: list[str] = []
    assert await sqlite_store.write_unit(add_event("short", threads), short=True) == 1
    assert threads == [threading.current_thread().name]
    # Committed, not merely run: another connection (the async engine) sees it.
    assert await event_names(sqlite_store) == ["short"]


async def test_units_not_marked_short_and_queued_units_run_in_the_writer_thread(
    sqlite_store: Store,
) -> None:
    threads: list[str] = []
    await sqlite_store.write_unit(add_event("plain", threads))
    assert threads[-1].startswith("jotauth-sqlite-write")
    # Queued together: a group, which the writer thread runs even if every unit is short.
    threads.clear()
    counts = await asyncio.gather(
        *(sqlite_store.write_unit(add_event(f"queued_{i}", threads), short=True) for i in range(6))
    )
    assert sorted(counts) == [2, 3, 4, 5, 6, 7]
    assert any(name.startswith("jotauth-sqlite-write") for name in threads), threads
    assert len(await event_names(sqlite_store)) == 7


async def test_a_short_unit_that_raises_writes_nothing(sqlite_store: Store) -> None:
    def failing(conn: Connection) -> None:
        conn.execute(insert(audit_events).values(event="half", at=time.time()))
        raise ValueError("the unit's own error")

    with pytest.raises(ValueError, match="the unit's own error"):
        await sqlite_store.write_unit(failing, short=True)
    assert await event_names(sqlite_store) == []


async def test_a_short_unit_that_finds_sqlite_busy_runs_again_in_the_writer_thread(
    sqlite_store: Store,
) -> None:
    _busy_once(sqlite_store)
    threads: list[str] = []
    assert await sqlite_store.write_unit(add_event("retried", threads), short=True) == 1
    # Stopped before the unit ran inline; run once, in the writer thread.
    assert len(threads) == 1 and threads[0].startswith("jotauth-sqlite-write")
    assert await event_names(sqlite_store) == ["retried"]
    threads.clear()
    await sqlite_store.write_unit(add_event("inline again", threads), short=True)
    assert threads == [threading.current_thread().name]


async def test_with_another_process_writing_a_short_unit_neither_blocks_the_loop_nor_writes(
    store_beside_a_lock_holder: Store,
) -> None:
    store = store_beside_a_lock_holder
    async with loop_ticks(0.01) as ticks:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await store.write_unit(add_event("locked", []), short=True)
        waited = time.monotonic() - started
    # The wait happened in the writer thread, within the budget; the loop kept running.
    assert TIMEOUT_S * 0.5 <= waited < TIMEOUT_S + 1.0
    assert ticks.count >= waited / 0.01 * 0.5
    assert await event_names(store) == []
