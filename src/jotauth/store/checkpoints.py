"""SQLite WAL checkpoints off the writer's thread.

SQLite checkpoints a WAL file (copies its pages into the database and fsyncs) inside the
``COMMIT`` that grows it past ``wal_autocheckpoint`` pages: the writer that happens to commit
then holds this process's single writer thread for 5-90 ms on this machine's disk, and every
refresh queued behind it waits as long. The units-of-work writer connection therefore runs with
``wal_autocheckpoint=0`` and this class checkpoints instead, in its own thread with its own
connection: ``PASSIVE`` mode neither waits for nor blocks readers and writers (sqlite.org/wal.html
"Checkpointing"), so the fsync is no longer on any request's path.

Connections that still autocheckpoint (the async engine, other processes, the CLI) keep doing
so; this only keeps the WAL short between their commits.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

_log = logging.getLogger("jotauth.store")

# A checkpoint starts at most this often, after a write: a refresh storm writes a few thousand
# WAL pages (a few MiB) in between, about what the default autocheckpoint lets grow.
CHECKPOINT_INTERVAL_S = 0.25


class WalCheckpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` in a background thread, one at a time."""

    def __init__(
        self,
        path: str,
        *,
        interval: float = CHECKPOINT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._path = path
        self._interval = interval
        self._clock = clock
        self._last = clock()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="jotauth-sqlite-checkpoint")
        self._running: Future[None] | None = None
        self._conn: sqlite3.Connection | None = None  # opened in the checkpoint thread

    def wrote(self) -> None:
        """Told after each committed write: starts a checkpoint when the last one started
        ``interval`` ago and has finished (cheap otherwise: one clock read)."""
        now = self._clock()
        if now - self._last < self._interval:
            return
        if self._running is not None and not self._running.done():
            return
        self._last = now
        self._running = self._executor.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        try:
            if self._conn is None:
                # timeout=0: PASSIVE never waits; a checkpoint another process is running
                # already does the job (SQLITE_BUSY is reported in the result row, not raised).
                self._conn = sqlite3.connect(self._path, timeout=0, check_same_thread=False)
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as error:
            # The next write tries again; meanwhile other connections' autocheckpoints bound
            # the WAL.
            _log.warning("WAL checkpoint failed: %s", type(error).__name__)

    def close(self) -> None:
        """Run a last checkpoint, wait for it, close the connection."""
        self._executor.submit(self._checkpoint)
        self._executor.shutdown(wait=True)
        if self._conn is not None:
            self._conn.close()
            self._conn = None
