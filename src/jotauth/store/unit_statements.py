"""Prepared statements of the units of work, run on the driver's DB-API cursor itself.

On SQLite a refresh is nine statements in one unit of work (``Store.write_unit``), ``/me`` three.
Executing a statement through SQLAlchemy's ``Connection`` costs ~35 µs of CPU on this
machine (execution context, cache-key lookup, parameter processing, result metadata); the
same statement on the ``sqlite3`` cursor costs ~4 µs (``bench/server.py`` and issue 15's
notes). So a unit's connection runs the statements marked :func:`prepared` itself, on the
DB-API cursor (``sqlite3``'s, or SQLAlchemy's own asyncpg adapter on PostgreSQL, which keeps
asyncpg's prepared statements): each is compiled *once*, by SQLAlchemy, with the engine's own
dialect, into the SQL string,
the order of its parameters, and the dialect's own bind and result processors (JSON, Boolean,
…). Only what SQLAlchemy does per execution is skipped, not how it types values; anything a
plain compiled statement cannot express (Python-side column defaults, expanding ``IN``
parameters) keeps going through SQLAlchemy, in the same transaction on the same connection.
``tests/integration/store/test_unit_statements.py`` runs every prepared statement of the
package through both and compares the results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement

S = TypeVar("S", bound=Executable)

# The execution option that marks a statement as built once (a module constant, or an
# attribute of a long-lived service): only those are compiled and kept, by identity.
PREPARED = "jotauth_prepared"

Processor = Callable[[Any], Any] | None


def prepared(statement: S) -> S:
    """``statement``, marked to run on the units' ``sqlite3`` connection directly. Mark only
    statements built once: each is compiled and kept for the life of the process."""
    return statement.execution_options(**{PREPARED: True})


class _Plan:
    """A compiled statement: what one execution needs, worked out once."""

    __slots__ = ("_binds", "_construct_params", "_dialect", "_results", "_types", "keys", "sql")

    def __init__(self, compiled: Any, dialect: Dialect) -> None:
        self.sql: str = compiled.string
        self._construct_params = compiled.construct_params
        processors = compiled._bind_processors  # the dialect's own, as SQLAlchemy applies them
        # Positional order, with each bind processor.
        self._binds: tuple[tuple[str, Processor], ...] = tuple(
            (name, processors.get(name)) for name in compiled.positiontup
        )
        columns = compiled._result_columns
        # Result columns (empty for a statement returning no rows), and their types.
        self.keys: tuple[str, ...] = tuple(column[0] for column in columns)
        self._types = tuple(column[3] for column in columns)
        self._dialect = dialect
        self._results: tuple[Processor, ...] | None = None

    def parameters(self, params: Mapping[str, Any] | None) -> list[Any]:
        values = self._construct_params(params or {}, _check=False)
        return [
            values[name] if processor is None else processor(values[name])
            for name, processor in self._binds
        ]

    def rows(self, raw: list[Any], description: Sequence[Any] | None) -> list[tuple[Any, ...]]:
        results = self._results
        if results is None:
            # As SQLAlchemy does: a result processor may depend on the type the driver
            # reports (asyncpg's numeric and float types); the same for every execution.
            codes = [entry[1] for entry in description or ()] or [None] * len(self._types)
            results = self._results = tuple(
                type_._cached_result_processor(self._dialect, code)
                for type_, code in zip(self._types, codes, strict=True)
            )
        if not any(results):
            return [tuple(row) for row in raw]
        return [
            tuple(
                value if processor is None else processor(value)
                for processor, value in zip(results, row, strict=True)
            )
            for row in raw
        ]


class UnitStatements:
    """The compiled plans for one dialect, shared by the threads that run units (two threads
    compiling the same statement, or choosing its result processors, arrive at the same)."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        # statement -> plan (None: SQLAlchemy runs it). Keyed by the object, which the dict
        # keeps alive, so an id can never be reused for another statement.
        self._plans: dict[Executable, _Plan | None] = {}

    def plan(self, statement: Executable) -> _Plan | None:
        """The plan of a :func:`prepared` statement; None for any other statement, or one
        SQLAlchemy must run itself."""
        try:
            return self._plans[statement]  # the hot path: one look-up
        except KeyError:
            if not statement.get_execution_options().get(PREPARED):
                return None  # never kept: an unmarked statement may be built per call
            plan = self._plans[statement] = self._compile(statement)
            return plan

    def _compile(self, statement: Executable) -> _Plan | None:
        compiled: Any = cast(ClauseElement, statement).compile(dialect=self._dialect)
        if (
            compiled.insert_prefetch
            or compiled.update_prefetch
            or compiled.literal_execute_params
            or compiled.post_compile_params
            or compiled.positiontup is None
        ):
            return None  # defaults computed per execution, or parameters expanded: SQLAlchemy
        return _Plan(compiled, self._dialect)


class UnitConnection:
    """What a SQLite unit of work gets as its connection: ``execute`` runs a prepared
    statement on the ``sqlite3`` connection; everything else is the SQLAlchemy
    ``Connection`` of the same transaction."""

    def __init__(self, conn: Connection, statements: UnitStatements) -> None:
        self._conn = conn
        self._statements = statements
        # The DB-API connection: sqlite3's own, or SQLAlchemy's asyncpg adapter (whose cursor
        # awaits asyncpg inside the unit's greenlet and keeps its prepared-statement cache).
        self._dbapi: Any = conn.connection.dbapi_connection
        self._errors: type[Exception] = conn.dialect.loaded_dbapi.Error

    @property
    def dialect(self) -> Dialect:
        """The dialect (units branch on ``conn.dialect.name``)."""
        return self._conn.dialect

    def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Any:
        """:meth:`sqlalchemy.Connection.execute` for one parameter set."""
        plan = self._statements.plan(statement)
        if plan is None:
            return self._conn.execute(statement, parameters)
        values = plan.parameters(parameters)
        cursor = self._cursor(plan.sql, values)
        try:
            if not plan.keys:
                return UnitResult((), [], cursor.rowcount)
            rows = plan.rows(cursor.fetchall(), cursor.description)
            return UnitResult(plan.keys, rows, cursor.rowcount)
        finally:
            cursor.close()

    def driver_sql(self, sql: str) -> None:
        """Run a statement without parameters or rows (``SAVEPOINT``…) on the driver's
        connection, its errors raised as SQLAlchemy's."""
        self._cursor(sql, ()).close()

    def _cursor(self, sql: str, values: Sequence[Any]) -> Any:
        cursor = self._dbapi.cursor()
        try:
            cursor.execute(sql, values)
        except self._errors as error:
            cursor.close()
            raise self._translated(error, sql, values) from error
        except BaseException as error:
            if not isinstance(error, Exception):
                # Cancelled (a unit's timeout) or interrupted mid-statement: as SQLAlchemy
                # does, the connection is not trusted again (asyncpg may still be waiting
                # for that statement's answer), the pool gets a fresh one.
                self._conn.invalidate()
            raise
        return cursor

    def _translated(self, error: Exception, sql: str, values: Sequence[Any]) -> exc.StatementError:
        """The exception SQLAlchemy would raise: its class for the driver's error
        (OperationalError, IntegrityError…), and on a lost connection the connection
        invalidated, so a PostgreSQL unit is retried on a fresh one (database.py)."""
        dialect = self._conn.dialect
        lost = dialect.is_disconnect(cast(Any, error), self._dbapi, None)
        if lost:
            self._conn.invalidate(error)
        return exc.DBAPIError.instance(
            sql,
            list(values),
            error,
            self._errors,
            connection_invalidated=lost,
            # Parameters hold token digests, sealed successors, password hashes: never in a
            # message that may reach a log.
            hide_parameters=True,
            dialect=dialect,
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class UnitResult:
    """The part of SQLAlchemy's ``Result`` that units use, over rows already fetched."""

    __slots__ = ("_keys", "_rows", "rowcount")

    def __init__(self, keys: Sequence[str], rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._keys = keys
        self._rows = rows
        self.rowcount = rowcount

    def mappings(self) -> _Mappings:
        return _Mappings([dict(zip(self._keys, row, strict=True)) for row in self._rows])

    def first(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def one(self) -> tuple[Any, ...]:
        if len(self._rows) != 1:
            raise exc.NoResultFound() if not self._rows else exc.MultipleResultsFound()
        return self._rows[0]

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalars(self) -> _Mappings:
        return _Mappings([row[0] for row in self._rows])

    def all(self) -> list[tuple[Any, ...]]:
        return list(self._rows)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)


class _Mappings:
    __slots__ = ("_items",)

    def __init__(self, items: list[Any]) -> None:
        self._items = items

    def first(self) -> Any:
        return self._items[0] if self._items else None

    def one(self) -> Any:
        if len(self._items) != 1:
            raise exc.NoResultFound() if not self._items else exc.MultipleResultsFound()
        return self._items[0]

    def all(self) -> list[Any]:
        return list(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)
