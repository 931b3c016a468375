"""Opening the database: engine, SQLite pragmas, transactions, and outage detection.

Every access goes through :meth:`Store.transaction` (writes) or :meth:`Store.read`, which turn
"the database cannot be reached" into :class:`StoreUnavailable` so callers answer 503 instead of
treating an outage as an invalid session.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import greenlet_spawn

from jotauth.settings import Settings
from jotauth.store.checkpoints import WalCheckpointer
from jotauth.store.errors import StoreUnavailable, UnsupportedDatabase
from jotauth.store.group_commit import (
    GroupCommitQueue,
    Outcome,
    remaining_budget_ms,
    run_units_in_savepoints,
)
from jotauth.store.migrate import schema_revisions, upgrade_to_head
from jotauth.store.unit_statements import UnitConnection, UnitStatements

_log = logging.getLogger("jotauth.store")

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
# SQLite readers of units of work (Store.read_unit): WAL lets them run beside the writer.
_SQLITE_READ_THREADS = 2

T = TypeVar("T")
# A unit of work: plain synchronous SQLAlchemy Core on one connection, inside one transaction.
Work = Callable[[Connection], T]


class Store:
    """A connection pool to the jotauth database. Build it with :func:`open_store`."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        sqlite_busy_timeout: float = 5.0,
        sqlite_units: Engine | None = None,
        sqlite_read_units: Engine | None = None,
        sqlite_inline_units: Engine | None = None,
        sqlite_checkpointer: WalCheckpointer | None = None,
    ) -> None:
        """``sqlite_units``: the same SQLite file through the plain ``sqlite3`` driver, where
        :meth:`write_unit` runs groups of units in one thread hop and one transaction;
        ``sqlite_read_units`` (default: the same engine) serves the reads. Separate pools
        keep the writer's connection on the writer's lock budget and the readers' on theirs,
        so neither re-issues ``PRAGMA busy_timeout`` for every unit. ``sqlite_inline_units``
        (a connection that never waits for a lock, and never checkpoints) runs read units and
        lone short write units on the event loop's own thread first. ``sqlite_checkpointer``
        is told of each group of write units (the units writers do not checkpoint in their
        commits)."""
        self._engine = engine
        self._is_sqlite = engine.dialect.name == "sqlite"
        self._units = sqlite_units
        self._read_units = sqlite_read_units or sqlite_units
        self._inline_units = sqlite_inline_units
        self._checkpointer = sqlite_checkpointer
        self._unit_writer: Executor | None = None
        self._unit_readers: Executor | None = None
        # The prepared statements' plans: the units engines share one driver and dialect.
        self._statements = UnitStatements(
            engine.dialect if sqlite_units is None else sqlite_units.dialect
        )
        if sqlite_units is not None:
            self._unit_writer = ThreadPoolExecutor(1, thread_name_prefix="jotauth-sqlite-write")
            self._unit_readers = ThreadPoolExecutor(
                _SQLITE_READ_THREADS, thread_name_prefix="jotauth-sqlite-read"
            )
        # SQLite has one writer at a time. Queueing this process's writers here (FIFO) instead
        # of letting them poll the file lock in SQLite's busy handler, which sleeps with growing
        # back-off, keeps the tail latency of a refresh storm flat. Other processes still meet
        # the busy timeout.
        self._sqlite_writer = asyncio.Lock() if self._is_sqlite else None
        self._write_queue: GroupCommitQueue | None = None
        if sqlite_units is not None:
            assert self._sqlite_writer is not None and self._unit_writer is not None
            writer = self._unit_writer
            self._write_queue = GroupCommitQueue(
                lock=self._sqlite_writer,
                run_group=lambda works, budget_ms: _in_thread(
                    writer, self._sqlite_group, works, budget_ms
                ),
                busy_timeout=sqlite_busy_timeout,
                on_written=None if sqlite_checkpointer is None else sqlite_checkpointer.wrote,
                # A lone short unit inline; its COMMIT never checkpoints either (on_written).
                run_inline=None
                if sqlite_inline_units is None
                else functools.partial(self._sqlite_inline, mode="IMMEDIATE"),
            )
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
                    budget_ms = remaining_budget_ms(deadline - loop.time())
                    if budget_ms <= 0:
                        raise TimeoutError("no time left to wait for the SQLite write lock")
                    await conn.execution_options(**{_BEGIN_MODE: "IMMEDIATE", _BUSY_MS: budget_ms})
                async with conn.begin():
                    yield conn

    async def write_unit(self, work: Work[T], *, short: bool = False) -> T:
        """Run ``work(connection)`` as one read-write transaction and return its result.

        The hot paths (a refresh, the reads of ``/me``) are units of work: plain synchronous
        Core statements. On SQLite the units queued for the writer run as a group in one
        thread hop and one ``BEGIN IMMEDIATE`` … ``COMMIT``, each in its own savepoint
        (group_commit.py), under the same writer lock and lock budget as
        :meth:`transaction`; a ``short`` unit (a few indexed rows: a refresh's rotation) that
        finds nobody else writing runs on the event loop's thread instead, as read units do.
        On PostgreSQL a unit is one greenlet (``_postgres_unit``), where
        a pooled connection that turns out dead is replaced and the unit retried once, instead
        of pinging every connection before use. ``work`` must therefore be safe to run again
        after a rollback (it re-reads what it decides on).
        """
        with _outages_as_unavailable():
            if self._units is None:
                return await self._unit_on_postgres(work)
            assert self._write_queue is not None
            result: T = await self._write_queue.run(work, short=short)
            return result

    async def autocommit_unit(self, work: Work[T]) -> T:
        """Run ``work(connection)`` with each of its statements a transaction of its own.

        For a unit whose writes are one statement that checks what it relies on itself (the
        PostgreSQL rotation: it locks the session and re-checks it): there, no ``BEGIN`` and
        ``COMMIT`` round trips, as for :meth:`read_unit`, and a pooled connection found dead
        is replaced and the unit retried once, as for :meth:`write_unit`. On SQLite, where a
        transaction costs no round trips, it is a short :meth:`write_unit`.
        """
        if self._units is not None:
            return await self.write_unit(work, short=True)
        with _outages_as_unavailable():
            return await self._unit_on_postgres(work, autocommit=True)

    async def read_unit(self, work: Work[T]) -> T:
        """Run ``work(connection)``, which only reads (see :meth:`write_unit`).

        On SQLite that is one read transaction (one snapshot). On PostgreSQL the statements
        run in autocommit, each seeing what was committed when it started: no ``BEGIN`` and
        ``COMMIT`` round trips (``/me`` is one statement there; they would make it three).
        The reads that use it are single rows or, for ``/me``, reads that were separate
        transactions before; a read needing one snapshot across statements uses :meth:`read`.

        On SQLite a read unit runs on the event loop's thread: its reads are a few indexed
        rows (~30 µs of CPU with prepared statements), less than the thread hop they would
        cost, and ``/me`` at one client is bound by that hop's latency (1,955-2,226/s through
        the reader threads against 2,546-2,653/s inline, issue 15). WAL readers take no lock,
        and this connection waits for none (``busy_timeout=0``): in the rare case SQLite
        answers busy (a checkpoint resetting the WAL, recovery after a crash), the unit runs
        again in a reader thread with the whole lock budget, so the loop never waits.
        """
        with _outages_as_unavailable():
            if self._units is None:
                return await self._unit_on_postgres(work, autocommit=True)
            assert self._unit_readers is not None and self._read_units is not None
            if self._inline_units is not None:
                outcome = self._sqlite_inline(work, mode="DEFERRED")
                if outcome is not None:
                    result: T = outcome[1]
                    return result
            budget_ms = int(self._busy_timeout * 1000)
            return await _in_thread(
                self._unit_readers, self._sqlite_read, work, self._read_units, budget_ms
            )

    def _sqlite_group(self, works: Sequence[Work[Any]], budget_ms: int) -> list[Outcome]:
        """The write units of a group in one ``BEGIN IMMEDIATE`` transaction (group_commit.py),
        in the writer thread."""
        assert self._units is not None
        with self._sqlite_transaction(self._units, "IMMEDIATE", budget_ms) as unit_conn:
            return run_units_in_savepoints(cast(Connection, unit_conn), works, unit_conn.driver_sql)

    def _sqlite_inline(self, work: Work[Any], mode: str) -> Outcome | None:
        """``work`` on the event loop's thread, on the connection that waits for no lock;
        None when SQLite answered busy (another process writing, a checkpoint resetting the
        WAL, recovery): rolled back, nothing written, and the caller runs it in a thread with
        the whole budget (a unit is safe to run again)."""
        assert self._inline_units is not None
        try:
            with self._sqlite_transaction(self._inline_units, mode, 0) as unit_conn:
                return True, work(cast(Connection, unit_conn))
        except exc.OperationalError:
            _log.info("an inline unit met a busy database; it runs again in a thread")
            return None

    def _sqlite_read(self, work: Work[T], units: Engine, budget_ms: int) -> T:
        with self._sqlite_transaction(units, "DEFERRED", budget_ms) as unit_conn:
            return work(cast(Connection, unit_conn))

    def _sqlite_transaction(
        self, units: Engine, mode: str, budget_ms: int
    ) -> contextlib.AbstractContextManager[UnitConnection]:
        return self._unit_transaction(units, **{_BEGIN_MODE: mode, _BUSY_MS: budget_ms})

    @contextlib.contextmanager
    def _unit_transaction(self, engine: Engine, **options: Any) -> Iterator[UnitConnection]:
        """One transaction on a connection of ``engine`` with ``options`` (reset when it goes
        back to the pool), as a unit's connection: duck-typed, a Connection for everything a
        unit does, its prepared statements run on the DB-API cursor directly (sqlite3's, or
        the asyncpg adapter's: unit_statements.py)."""
        with engine.connect() as conn:
            conn.execution_options(**options)
            with conn.begin():
                yield UnitConnection(conn, self._statements)

    def _postgres_unit(self, work: Work[T], autocommit: bool) -> T:
        # The whole unit in one greenlet: the synchronous Connection awaits asyncpg inside it
        # for the checkout, each statement and the commit. Through AsyncConnection the same
        # steps were six greenlets (connect, execution_options, begin, run_sync, commit,
        # close): an empty unit's CPU 121-136 -> 37-59 µs, one with a statement 321-341 ->
        # 191-259 µs (issue 15).
        options = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
        with self._unit_transaction(self._engine.sync_engine, **options) as unit_conn:
            return work(cast(Connection, unit_conn))

    async def _unit_on_postgres(self, work: Work[T], *, autocommit: bool = False) -> T:
        # A connection is pinged on checkout only when it sat idle in the pool (see
        # _install_postgres_hooks); one that died under traffic fails its first statement,
        # invalidating the pool, and the unit runs once more on a fresh connection.
        for attempt in (1, 2):
            try:
                async with asyncio.timeout(PG_UNIT_TIMEOUT_S):
                    with _hot_checkout():
                        return await greenlet_spawn(self._postgres_unit, work, autocommit)
            except exc.DBAPIError as error:
                if attempt == 2 or not error.connection_invalidated:
                    raise
                _log.info("retrying a unit of work on a fresh connection")
        raise AssertionError("unreachable")

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

    async def schema_revisions(self) -> tuple[str | None, str | None]:
        """(the database's migration revision, the package's newest): equal when migrated."""
        async with self.read() as conn:
            return await conn.run_sync(schema_revisions)

    async def close(self) -> None:
        """Close every pooled connection."""
        await self._engine.dispose()
        if self._units is not None:
            for executor in (self._unit_writer, self._unit_readers):
                assert executor is not None
                executor.shutdown(wait=True)
            self._units.dispose()
            if self._read_units is not None and self._read_units is not self._units:
                self._read_units.dispose()
            if self._inline_units is not None:
                self._inline_units.dispose()
        if self._checkpointer is not None:
            self._checkpointer.close()


async def _in_thread(executor: Executor, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` on ``executor``; a cancelled caller still waits for it to finish (a
    started transaction runs to its end and the SQLite writer queue stays held until then)."""
    future = asyncio.get_running_loop().run_in_executor(executor, fn, *args)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise


# PostgreSQL: a pooled connection idle longer than this is pinged before use (HikariCP's
# "alive bypass window" idea): one that served a request a moment ago is used as it is.
_IDLE_PING_S = 1.0
_CHECKED_IN_AT = "jotauth_checked_in_at"
# Whether this checkout may skip the ping of a recently used connection (the units of work,
# which retry on a dead one); every other caller keeps the ping on each checkout.
_SKIP_RECENT_PING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "jotauth_skip_recent_ping", default=False
)
# A unit of work on PostgreSQL in all (acquire, statements, commit): an unanswered database
# is a 503 within this, as the ping bounded it before (issue 10).
PG_UNIT_TIMEOUT_S = PG_ACQUIRE_TIMEOUT_S


@contextlib.contextmanager
def _hot_checkout() -> Iterator[None]:
    token = _SKIP_RECENT_PING.set(True)
    try:
        yield
    finally:
        _SKIP_RECENT_PING.reset(token)


def _install_postgres_hooks(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _on_checkin(dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None:
            return  # a connection made for this checkout
        if _SKIP_RECENT_PING.get() and time.monotonic() - checked_in_at < _IDLE_PING_S:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:
            # The pool then discards this connection and checks out (or makes) another.
            raise exc.DisconnectionError() from error


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
    engine = _create_engine(
        url,
        sqlite_busy_timeout=settings.sqlite_busy_timeout,
        postgres_connections=settings.database_pool_size,
    )
    units = read_units = inline_units = checkpointer = None
    if engine.dialect.name == "sqlite":
        busy = settings.sqlite_busy_timeout
        units = _sqlite_units_engine(
            url, sqlite_busy_timeout=busy, connections=1, autocheckpoint=False
        )
        read_units = _sqlite_units_engine(
            url, sqlite_busy_timeout=busy, connections=_SQLITE_READ_THREADS
        )
        inline_units = _sqlite_units_engine(
            url, sqlite_busy_timeout=0, connections=1, autocheckpoint=False
        )
        checkpointer = WalCheckpointer(str(url.database))
    store = Store(
        engine,
        sqlite_busy_timeout=settings.sqlite_busy_timeout,
        sqlite_units=units,
        sqlite_read_units=read_units,
        sqlite_inline_units=inline_units,
        sqlite_checkpointer=checkpointer,
    )
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
        await store.close()
        raise
    return store


def _create_engine(
    url: URL, *, sqlite_busy_timeout: float, postgres_connections: int
) -> AsyncEngine:
    # hide_parameters: a statement's parameters (password hashes, token digests, sealed keys)
    # never appear in an exception's message, which an unhandled error's log line carries.
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.get_driver_name() != "aiosqlite":
            raise UnsupportedDatabase("use sqlite+aiosqlite:///path/to/jotauth.db")
        _prepare_sqlite_file(url, busy_timeout=sqlite_busy_timeout)
        engine = create_async_engine(
            url, connect_args={"timeout": sqlite_busy_timeout}, hide_parameters=True
        )
        _install_sqlite_hooks(engine, busy_ms=int(sqlite_busy_timeout * 1000))
        return engine
    if backend == "postgresql":
        if url.get_driver_name() != "asyncpg":
            raise UnsupportedDatabase("use postgresql+asyncpg://user@host/database")
        engine = create_async_engine(
            url,
            # A restarted server leaves dead pooled connections behind: _install_postgres_hooks
            # pings on checkout, except a just-used connection taken by a unit of work.
            # No overflow: under a burst past the pool, an overflow connection was opened and
            # closed for each request (a server backend started, TLS tried, startup), which
            # cost more than waiting for a pooled one (refresh x16 with 10 + 10 overflow:
            # 707-727/s; 16 + 0: 923-945/s, issue 15).
            pool_size=postgres_connections,
            max_overflow=0,
            pool_timeout=10,
            connect_args={"timeout": PG_CONNECT_TIMEOUT_S, "command_timeout": PG_COMMAND_TIMEOUT_S},
            hide_parameters=True,
        )
        _install_postgres_hooks(engine)
        return engine
    raise UnsupportedDatabase(f"unsupported database backend {backend!r}")


def _sqlite_units_engine(
    url: URL, *, sqlite_busy_timeout: float, connections: int, autocheckpoint: bool = True
) -> Engine:
    """The same file through the plain ``sqlite3`` driver, for units of work run in threads
    (the pragmas and ``BEGIN`` modes of the async engine, installed by the same hooks).
    Without ``autocheckpoint`` its commits never checkpoint the WAL (the store's
    :class:`WalCheckpointer` does, off this thread)."""
    engine = create_engine(
        url.set(drivername="sqlite+pysqlite"),
        connect_args={"timeout": sqlite_busy_timeout, "check_same_thread": False},
        pool_size=connections,
        max_overflow=0,
        hide_parameters=True,
    )
    _install_sqlite_hooks(engine, busy_ms=int(sqlite_busy_timeout * 1000))
    if not autocheckpoint:

        @event.listens_for(engine, "connect")
        def _no_autocheckpoint(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

    return engine


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


def _install_sqlite_hooks(engine: AsyncEngine | Engine, *, busy_ms: int) -> None:
    # SQLAlchemy's documented recipe: take transaction control away from the sqlite3 driver
    # (which would not BEGIN before a SELECT) and emit BEGIN ourselves, IMMEDIATE for writes.
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @event.listens_for(sync_engine, "connect")
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

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        # A writer that already waited in this process waits for the lock only for what is
        # left of its budget; the pragma is re-issued only when the budget changes.
        budget_ms = options.get(_BUSY_MS, busy_ms)
        if conn.info.get(_BUSY_MS) != budget_ms:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(budget_ms)}")
            conn.info[_BUSY_MS] = budget_ms
        conn.exec_driver_sql(f"BEGIN {options.get(_BEGIN_MODE, 'DEFERRED')}")
