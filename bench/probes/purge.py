"""How long the session purge keeps a writer waiting for SQLite's write lock.

    PYTHONPATH=TREE/src .venv/bin/python bench/probes/purge.py DB_PATH EXPIRED

Expires ``EXPIRED`` sessions of the file, then runs the tree's ``SessionService.purge_expired``
while another connection takes and releases the write lock every millisecond.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import threading
import time

from jotauth.sessions import SessionPolicy, SessionService
from jotauth.settings import Settings
from jotauth.store import AuditLog, open_store


def _writer(path: str, stop: threading.Event, waits: list[float]) -> None:
    probe = sqlite3.connect(path, isolation_level=None, timeout=30)
    while not stop.is_set():
        started = time.perf_counter()
        probe.execute("BEGIN IMMEDIATE")
        waits.append(time.perf_counter() - started)
        probe.execute("COMMIT")
        time.sleep(0.001)
    probe.close()


async def main(path: str, expired: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute(
        "UPDATE sessions SET expires_at = 1 WHERE rowid IN (SELECT rowid FROM sessions LIMIT ?)",
        (expired,),
    )
    conn.close()
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}")
    store = await open_store(settings, migrate=False)
    service = SessionService(
        store, SessionPolicy.from_settings(settings), audit=AuditLog(store), secret=b"k" * 32
    )
    waits: list[float] = []
    stop = threading.Event()
    writer = threading.Thread(target=_writer, args=(path, stop, waits))
    writer.start()
    started = time.perf_counter()
    purged = await service.purge_expired()
    took = time.perf_counter() - started
    stop.set()
    writer.join()
    await store.close()
    waits.sort()
    print(
        f"{purged:,} expired sessions purged in {took * 1000:,.0f} ms; a concurrent writer"
        f" waited at most {waits[-1] * 1000:.1f} ms for the write lock"
        f" (p99 {waits[int(len(waits) * 0.99)] * 1000:.1f} ms, {len(waits)} probes)"
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
