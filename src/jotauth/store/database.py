"""Opening the database: engine, SQLite pragmas, transactions, and outage detection.

Every access goes through :meth:`Store.transaction` (writes) or :meth:`Store.read`, which turn
"the database cannot be reached" into :class:`StoreUnavailable` so callers answer 503 instead of
treating an outage as an invalid session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from jotauth.settings import Settings
from jotauth.store.errors import StoreUnavailable, UnsupportedDatabase
from jotauth.store.migrate import upgrade_to_head

_log = logging.getLogger("jotauth.store")

# SQLite's busy handler sleeps in steps of up to 100 ms; a writer's remaining budget is rounded
# down to that step, so the pragma changes only when a writer actually waited in this process.
_BUSY_BUDGET_STEP_MS = 100
# PostgreSQL: connect and statement timeouts, so an unreachable server fails fast as a 503.
PG_CONNECT_TIMEOUT_S = 5.0
PG_COMMAND_TIMEOUT_S = 15.0
# Getting a PostgreSQL connection (a pool slot, the pre-ping of a pooled connection, a new
# connection) in all: the pre-ping alone would otherwise wait the whole command timeout on a
# blackholed server, and then the connect timeout on top (17 s per request, issue 10).
PG_ACQUIRE_TIMEOUT_S = PG_CONNECT_TIMEOUT_S

# Errors meaning "the database is not reachable right now", as opposed to a bug or a constraint
# violation (IntegrityError stays what it is).
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.TimeoutError,  # pool checkout timeout
    OSError,  # refused, reset, unreachable, and asyncio timeouts (TimeoutError is an OSError)
)

_BEGIN_MODE = "jotauth_sqlite_begin"
_BUSY_MS = "jotauth_sqlite_busy_ms"  # execution option: this transaction's lock budget


class Store:
    """A connection pool to the jotauth database. Build it with :func:`open_store`."""

    def __init__(self, engine: AsyncEngine, *, sqlite_busy_timeout: float = 5.0) -> None:
        self._engine = engine
        self._is_sqlite = engine.dialect.name == "sqlite"
        # SQLite has one writer at a time. Queueing this process's writers here (FIFO) instead
        # of letting them poll the file lock in SQLite's busy handler, which sleeps with growing
        # back-off, keeps the tail latency of a refresh storm flat. Other processes still meet
        # the busy timeout.
        self._sqlite_writer = asyncio.Lock() if self._is_sqlite else None
        self._busy_timeout = sqlite_busy_timeout
        self._acquire_timeout = None if self._is_sqlite else PG_ACQUIRE_TIMEOUT_S

    @property
    def engine(self) -> AsyncEngine:
        """The SQLAlchemy engine (for tests and migrations; services use transactions)."""
        return self._engine

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A read-write transaction, committed when the block ends without an exception.

        On SQLite it starts with ``BEGIN IMMEDIATE``: the write lock is taken up front, so a
        transaction that reads and then writes can never fail half-way with SQLITE_BUSY because
        another writer committed in between. The whole wait for it (this process's queue, a
        pooled connection, another process's lock) is bounded by ``sqlite_busy_timeout``: each
        step gets only what the steps before it left, never a fresh timeout of its own.
        """
        with _outages_as_unavailable():
            async with contextlib.AsyncExitStack() as stack:
                if self._sqlite_writer is None:
                    conn = await self._connect(stack)
                else:
                    loop = asyncio.get_running_loop()
                    deadline = loop.time() + self._busy_timeout
                    # TimeoutError is an OSError: reported as StoreUnavailable like the rest.
                    async with asyncio.timeout_at(deadline):
                        await stack.enter_async_context(self._sqlite_writer)
                        conn = await stack.enter_async_context(self._engine.connect())
                    budget_ms = int((deadline - loop.time()) * 1000)
                    budget_ms -= budget_ms % _BUSY_BUDGET_STEP_MS
                    if budget_ms <= 0:
                        raise TimeoutError("no time left to wait for the SQLite write lock")
                    await conn.execution_options(**{_BEGIN_MODE: "IMMEDIATE", _BUSY_MS: budget_ms})
                async with conn.begin():
                    yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction (a consistent snapshot; never takes SQLite's write lock)."""
        with _outages_as_unavailable():
            async with contextlib.AsyncExitStack() as stack:
                conn = await self._connect(stack)
                async with conn.begin():
                    yield conn

    async def _connect(self, stack: contextlib.AsyncExitStack) -> AsyncConnection:
        """A pooled connection, closed with ``stack``; on PostgreSQL bounded in all by
        ``PG_ACQUIRE_TIMEOUT_S`` (TimeoutError is an OSError: an outage like the rest)."""
        async with asyncio.timeout(self._acquire_timeout):
            return await stack.enter_async_context(self._engine.connect())

    async def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the database answers a trivial query."""
        async with self.read() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        """Close every pooled connection."""
        await self._engine.dispose()


# PostgreSQL SQLSTATEs that mean "try again later", not "your statement is wrong": connection
# exceptions (class 08), insufficient resources (53, e.g. too many connections), operator
# intervention (57: admin/crash shutdown, cannot connect now), serialization failure and
# deadlock (40001, 40P01).
_TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57")
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})


def _is_transient(error: exc.DBAPIError) -> bool:
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None)
    return isinstance(sqlstate, str) and (
        sqlstate in _TRANSIENT_SQLSTATES or sqlstate.startswith(_TRANSIENT_SQLSTATE_CLASSES)
    )


def _unavailable(error: BaseException) -> StoreUnavailable:
    # The driver message can contain host names and paths: log it, never hand it to a client.
    _log.warning("database unavailable: %s", type(error).__name__)
    return StoreUnavailable()


@contextlib.contextmanager
def _outages_as_unavailable() -> Iterator[None]:
    """Turn every outage (refused, locked, killed, deadlock victim) into StoreUnavailable."""
    try:
        yield
    except _UNAVAILABLE as error:
        raise _unavailable(error) from error
    except exc.DBAPIError as error:
        if _is_transient(error):
            raise _unavailable(error) from error
        raise


async def open_store(settings: Settings, *, migrate: bool = True) -> Store:
    """Connect to ``settings.database_url`` and bring its schema to the latest migration.

    A SQLite file (and its directory) is created on first start, readable by its owner only.
    Raises :class:`StoreUnavailable` when the database cannot be reached.
    """
    url = make_url(settings.database_url)
    engine = _create_engine(url, sqlite_busy_timeout=settings.sqlite_busy_timeout)
    store = Store(engine, sqlite_busy_timeout=settings.sqlite_busy_timeout)
    try:
        if migrate:
            try:
                async with engine.connect() as conn:
                    if store.dialect == "sqlite":
                        await conn.execution_options(**{_BEGIN_MODE: "IMMEDIATE"})
                    async with conn.begin():
                        await conn.run_sync(upgrade_to_head)
            except _UNAVAILABLE as error:
                raise _unavailable(error) from error
        else:
            await store.ping()
    except BaseException:
        await engine.dispose()
        raise
    return store


def _create_engine(url: URL, *, sqlite_busy_timeout: float) -> AsyncEngine:
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.get_driver_name() != "aiosqlite":
            raise UnsupportedDatabase("use sqlite+aiosqlite:///path/to/jotauth.db")
        _prepare_sqlite_file(url, busy_timeout=sqlite_busy_timeout)
        engine = create_async_engine(url, connect_args={"timeout": sqlite_busy_timeout})
        _install_sqlite_hooks(engine, busy_ms=int(sqlite_busy_timeout * 1000))
        return engine
    if backend == "postgresql":
        if url.get_driver_name() != "asyncpg":
            raise UnsupportedDatabase("use postgresql+asyncpg://user@host/database")
        return create_async_engine(
            url,
            pool_pre_ping=True,  # a restarted server leaves dead pooled connections behind
            pool_size=10,
            max_overflow=10,
            pool_timeout=10,
            connect_args={"timeout": PG_CONNECT_TIMEOUT_S, "command_timeout": PG_COMMAND_TIMEOUT_S},
        )
    raise UnsupportedDatabase(f"unsupported database backend {backend!r}")


def _prepare_sqlite_file(url: URL, *, busy_timeout: float) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        # Each pooled connection would see its own empty database.
        raise UnsupportedDatabase("in-memory SQLite is not supported; give a file path")
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Password hashes and sealed keys live here: owner-only from the first byte.
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    # WAL (readers never block the writer, sqlite.org/wal.html) is a property of the file, set
    # once here: switching modes on every pooled connection would need a lock other connections
    # may hold, and fail with "database is locked" without waiting.
    raw = sqlite3.connect(path, timeout=busy_timeout)
    try:
        raw.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as error:
        raise _unavailable(error) from error
    finally:
        raw.close()


def _install_sqlite_hooks(engine: AsyncEngine, *, busy_ms: int) -> None:
    # SQLAlchemy's documented recipe: take transaction control away from the sqlite3 driver
    # (which would not BEGIN before a SELECT) and emit BEGIN ourselves, IMMEDIATE for writes.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        record.info[_BUSY_MS] = busy_ms
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")  # durable across app crashes in WAL mode
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        # A writer that already waited in this process waits for the lock only for what is
        # left of its budget; the pragma is re-issued only when the budget changes.
        budget_ms = options.get(_BUSY_MS, busy_ms)
        if conn.info.get(_BUSY_MS) != budget_ms:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(budget_ms)}")
            conn.info[_BUSY_MS] = budget_ms
        conn.exec_driver_sql(f"BEGIN {options.get(_BEGIN_MODE, 'DEFERRED')}")
