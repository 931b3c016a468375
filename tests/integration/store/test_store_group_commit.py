"""SQLite write units committed in groups (issue 15): units queued together share one
transaction, yet each commits or fails as if it had run alone."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import Connection, event, insert

from jotauth.store import Store, StoreUnavailable
from jotauth.store.schema import audit_events
from tests.integration.store.audit_units import add_event, event_names
from tests.integration.store.conftest import SQLITE_STORE_BUSY_TIMEOUT_S as TIMEOUT_S


def _commits(store: Store) -> list[int]:
    """Counts the COMMITs of the store's write units (its units engine)."""
    commits = [0]
    units = store._units  # the writer's engine: what a group commits on
    assert units is not None

    @event.listens_for(units, "commit")
    def _count(conn: object) -> None:
        commits[0] += 1

    return commits


async def test_queued_units_share_commits_and_each_sees_the_ones_before(
    sqlite_store: Store,
) -> None:
    commits = _commits(sqlite_store)
    counts = await asyncio.gather(
        *(sqlite_store.write_unit(add_event(f"unit_{i}")) for i in range(40))
    )
    # Run one after another, in the order they were queued: each saw every earlier row.
    assert counts == list(range(1, 41))
    assert await event_names(sqlite_store) == [f"unit_{i}" for i in range(40)]
    assert 1 <= commits[0] < 40


async def test_a_failing_unit_is_rolled_back_alone(sqlite_store: Store) -> None:
    def fails(conn: Connection) -> None:
        conn.execute(insert(audit_events).values(event="unit_failed", at=time.time()))
        raise LookupError("boom")

    def duplicate_key(conn: Connection) -> None:
        conn.execute(insert(audit_events).values(id=1, event="duplicate", at=time.time()))

    commits = _commits(sqlite_store)
    results = await asyncio.gather(
        sqlite_store.write_unit(add_event("before")),
        sqlite_store.write_unit(fails),
        sqlite_store.write_unit(add_event("between")),
        sqlite_store.write_unit(duplicate_key),  # id 1 is "before"'s row
        sqlite_store.write_unit(add_event("after")),
        return_exceptions=True,
    )
    assert results[0] == 1 and results[2] == 2 and results[4] == 3
    assert isinstance(results[1], LookupError)
    assert type(results[3]).__name__ == "IntegrityError"
    assert await event_names(sqlite_store) == ["before", "between", "after"]
    assert commits[0] < 5  # they did share a transaction


async def test_a_unit_cancelled_while_queued_never_runs(sqlite_store: Store) -> None:
    ran: list[str] = []

    def slow(conn: Connection) -> None:
        time.sleep(0.2)  # holds the writer, so the next unit waits in the queue
        ran.append("slow")

    def queued(conn: Connection) -> None:
        ran.append("queued")
        conn.execute(insert(audit_events).values(event="cancelled", at=time.time()))

    first = asyncio.ensure_future(sqlite_store.write_unit(slow))
    await asyncio.sleep(0.05)
    second = asyncio.ensure_future(sqlite_store.write_unit(queued))
    await asyncio.sleep(0.01)
    second.cancel()
    await first
    with pytest.raises(asyncio.CancelledError):
        await second
    assert await sqlite_store.write_unit(add_event("later")) == 1
    assert ran == ["slow"] and await event_names(sqlite_store) == ["later"]


async def test_a_group_that_cannot_get_the_lock_fails_every_unit_and_writes_nothing(
    store_beside_a_lock_holder: Store,
) -> None:
    store = store_beside_a_lock_holder
    started = time.monotonic()
    results = await asyncio.gather(
        *(store.write_unit(add_event(f"locked_{i}")) for i in range(5)),
        return_exceptions=True,
    )
    waited = time.monotonic() - started
    assert all(isinstance(result, StoreUnavailable) for result in results), results
    assert waited < TIMEOUT_S + 1.0
    assert await event_names(store) == []  # WAL: readers go on while another process writes
