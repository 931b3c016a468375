"""How long the purges keep a writer waiting for SQLite's write lock.

    PYTHONPATH=TREE/src .venv/bin/python bench/probes/purge.py DB_PATH EXPIRED

Expires ``EXPIRED`` sessions and as many audit events of the file, then runs the tree's
``SessionService.purge_expired`` and ``AuditLog.purge_before`` while writers take the write
lock every millisecond: one in the same process, through the store's own writer queue
(``Store.write_unit``, as a refresh does), and one in another thread through plain ``sqlite3``
(an outside process: it polls the file lock in SQLite's busy handler, whose back-off sleeps,
so it sees the lock free less often than a queued writer).

The floor, measured first on a copy of the file: the same session deletes in batches of the
tree's size on a bare ``sqlite3`` connection (no Python between statements), with the WAL
checkpointed in another thread as jotauth does. A lock hold above jotauth's p99 that the bare
connection shows too is the file system's or the machine's, not the purge's.
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Connection

from jotauth.sessions import SessionPolicy, SessionService
from jotauth.sessions import service as session_service
from jotauth.settings import Settings
from jotauth.store import AuditLog, Store, open_store
from jotauth.store.checkpoints import WalCheckpointer

_RAW_BATCH = (
    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at <= ? LIMIT ?)"
)


def _writer(path: str, stop: threading.Event, waits: list[float]) -> None:
    probe = sqlite3.connect(path, isolation_level=None, timeout=30)
    probe.execute("PRAGMA synchronous=NORMAL")  # as jotauth's own connections
    while not stop.is_set():
        started = time.perf_counter()
        probe.execute("BEGIN IMMEDIATE")
        waits.append(time.perf_counter() - started)
        probe.execute("COMMIT")
        time.sleep(0.001)
    probe.close()


def _raw_floor(path: str, batch: int) -> list[float]:
    """Each bare-``sqlite3`` purge transaction's lock hold, BEGIN to the end of COMMIT."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    for pragma in ("synchronous=NORMAL", "foreign_keys=ON", "wal_autocheckpoint=0"):
        conn.execute(f"PRAGMA {pragma}")  # as jotauth's writer connection
    checkpointer = WalCheckpointer(path)
    held: list[float] = []
    deleted = batch
    while deleted == batch:
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        deleted = conn.execute(_RAW_BATCH, (2.0, batch)).rowcount
        conn.execute("COMMIT")
        took = time.perf_counter() - started
        held.append(took)
        checkpointer.wrote()
        time.sleep(min(took, 0.05))  # the pause jotauth takes after a batch
    checkpointer.close()
    conn.close()
    return held


async def main(path: str, expired: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    for table, column in (("sessions", "expires_at"), ("audit_events", "at")):
        conn.execute(
            f"UPDATE {table} SET {column} = 1 WHERE rowid IN (SELECT rowid FROM {table} LIMIT ?)",
            (expired,),
        )
    copy = sqlite3.connect(f"{path}.floor")
    conn.backup(copy)
    copy.close()
    conn.close()
    floor = _raw_floor(f"{path}.floor", session_service.PURGE_BATCH)
    print(
        f"floor: bare sqlite3, the same session deletes in batches of"
        f" {session_service.PURGE_BATCH}, held the lock at most {_ms(floor, 1.0)} ms"
        f" (p99 {_ms(floor, 0.99)} ms, {len(floor)} transactions)"
    )
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}")
    store = await open_store(settings, migrate=False)
    service = SessionService(
        store, SessionPolicy.from_settings(settings), audit=AuditLog(store), secret=b"k" * 32
    )
    gc.freeze()  # as `jotauth serve` does before it starts serving (cli/serve.py)
    await _probe(path, store, "sessions", service.purge_expired)
    await _probe(path, store, "audit events", lambda: AuditLog(store).purge_before(2.0))
    await store.close()


async def _probe(path: str, store: Store, what: str, purge: Callable[[], Awaitable[int]]) -> None:
    held, held_cpu, restore = _time_units(store)
    waits: list[float] = []
    queued: list[float] = []
    stop = threading.Event()
    writer = threading.Thread(target=_writer, args=(path, stop, waits))
    writer.start()
    purging = asyncio.ensure_future(purge())
    started = time.perf_counter()
    while not purging.done():
        asked = time.perf_counter()
        await store.write_unit(_nothing)
        queued.append(time.perf_counter() - asked)
        await asyncio.sleep(0.001)
    took = time.perf_counter() - started
    purged = await purging
    stop.set()
    writer.join()
    restore()
    print(
        f"{purged:,} expired {what} purged in {took * 1000:,.0f} ms; each write transaction"
        f" of the purge held the lock at most {_ms(held, 1.0)} ms (p99 {_ms(held, 0.99)} ms,"
        f" its thread's CPU at most {_ms(held_cpu, 1.0)} ms, p99 {_ms(held_cpu, 0.99)} ms,"
        f" {len(held)} transactions); a writer in the same"
        f" process waited at most {_ms(queued, 1.0)} ms for its turn (p99 {_ms(queued, 0.99)}"
        f" ms, {len(queued)} writes); an outside writer polling the lock at most"
        f" {_ms(waits, 1.0)} ms (p99 {_ms(waits, 0.99)} ms, {len(waits)} probes)"
    )


def _time_units(store: Store) -> tuple[list[float], list[float], Callable[[], None]]:
    """Time the purge's SQLite units of work from BEGIN to the end of COMMIT: wall
    time (what a queued writer waits) and the writer thread's CPU time (what the machine's
    load cannot inflate); and how to stop timing them."""
    held: list[float] = []
    held_cpu: list[float] = []
    # A tree with group commit runs its write units in groups (_sqlite_group, a list of
    # works); an older one one by one (_sqlite_unit). An older tree's audit purge runs in
    # Store.transaction instead, which is not timed: the writers' waits show it.
    grouped = hasattr(store, "_sqlite_group")
    name = "_sqlite_group" if grouped else "_sqlite_unit"
    run = getattr(store, name)

    def timed(*args: Any) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return run(*args)
        finally:
            works = args[0] if grouped else [args[0]]
            if any(work is not _nothing for work in works):  # the purge's transactions only
                held.append(time.perf_counter() - wall)
                held_cpu.append(time.thread_time() - cpu)

    setattr(store, name, timed)
    return held, held_cpu, lambda: setattr(store, name, run)


def _nothing(conn: Connection) -> None:
    # A write transaction that changes nothing: it takes the writer queue and the lock.
    conn.exec_driver_sql("UPDATE users SET updated_at = updated_at WHERE id = ''")


def _ms(values: list[float], quantile: float) -> str:
    if not values:
        return "—"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(len(ordered) * quantile))] * 1000:.1f}"


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
