"""SQLite write units committed in groups: the units waiting for the writer share a transaction.

SQLite has one writer at a time, so every write unit of this process queues for the writer
thread. One unit at a time, each paid for a thread hop, ``BEGIN IMMEDIATE`` and a ``COMMIT``
(which writes the WAL frames of every page it changed), and the writer sat idle between two
units while the event loop handed the write lock on. Group commit (as databases do for their
log): whatever units are queued when the writer becomes free run one after another in *one*
transaction, each inside its own ``SAVEPOINT``, and commit together. Each unit still sees the
units before it, exactly as if they had run one by one; a unit that raises is rolled back to
its savepoint alone and its caller gets the exception, the others commit. An error that
leaves the transaction itself in doubt (any ``OperationalError``: locked, I/O, full) fails the
whole group, and every caller sees it, as each would have alone. No caller learns its result
before the group's ``COMMIT``: a crash loses only units nobody was told of.

A *short* unit (a refresh's rotation: a few indexed rows) that finds the writer idle and
nobody queued behind it runs at once on the event loop's thread instead: the thread hop costs
more than its statements do, and at one client a refresh is bound by that hop's latency. It is
tried on a connection that never waits for a lock; if SQLite answers busy (another process
writing), the unit goes to the writer thread after all, with its lock budget.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exc

# A group never holds the writer for more units than this: those that arrive while a group
# runs form the next one.
MAX_GROUP = 64
# SQLite's busy handler sleeps in steps of up to 100 ms; a writer's remaining budget is rounded
# down to that step, so the busy_timeout pragma changes only when a writer actually waited.
BUSY_BUDGET_STEP_MS = 100

# The outcome of one unit in a group: (True, its result) or (False, the exception it raised).
Outcome = tuple[bool, Any]
# Runs the units' work in one transaction (the hop to the writer thread), given the lock
# budget in ms: one outcome per unit.
GroupRunner = Callable[[Sequence[Callable[[Any], Any]], int], Awaitable[list[Outcome]]]
# Runs one short unit on the calling (event loop) thread without waiting for a lock: its
# outcome, or None when SQLite answered busy and nothing was done.
InlineRunner = Callable[[Callable[[Any], Any]], Outcome | None]


@dataclass(slots=True)
class _Queued:
    work: Callable[[Any], Any]
    deadline: float  # loop time by which the unit must have the writer
    future: asyncio.Future[Any] = field(repr=False)
    short: bool = False  # may run inline on the loop's thread (see the module's docstring)


class GroupCommitQueue:
    """The queue of this process's SQLite write units, run in groups by one drain task."""

    def __init__(
        self,
        *,
        lock: asyncio.Lock,
        run_group: GroupRunner,
        busy_timeout: float,
        on_written: Callable[[], None] | None = None,
        run_inline: InlineRunner | None = None,
    ) -> None:
        """``lock`` is the store's SQLite writer lock (``Store.transaction`` takes it too);
        ``run_group`` runs a group in the writer thread; ``on_written`` is told after each
        group; ``run_inline`` (if given) runs a lone short unit on the loop's thread."""
        self._lock = lock
        self._run_group = run_group
        self._run_inline = run_inline
        self._busy_timeout = busy_timeout
        self._on_written = on_written
        self._queued: deque[_Queued] = deque()
        self._drain_task: asyncio.Task[None] | None = None

    async def run(self, work: Callable[[Any], Any], *, short: bool = False) -> Any:
        """``work(connection)`` in the next group; its result, or the exception it raised.

        A caller cancelled before its group starts changes nothing (the unit is dropped); one
        cancelled later leaves the unit to commit with its group, as a request cancelled while
        its transaction ran always did. ``short``: the unit may run inline (module docstring).
        """
        loop = asyncio.get_running_loop()
        queued = _Queued(work, loop.time() + self._busy_timeout, loop.create_future(), short)
        self._queued.append(queued)
        if self._drain_task is None:
            self._drain_task = loop.create_task(self._drain())
        return await queued.future

    async def _drain(self) -> None:
        try:
            while self._queued:
                group = self._take()
                if group:
                    await self._run(group)
        finally:
            self._drain_task = None

    def _take(self) -> list[_Queued]:
        group: list[_Queued] = []
        while self._queued and len(group) < MAX_GROUP:
            queued = self._queued.popleft()
            if not queued.future.done():  # not cancelled while it waited
                group.append(queued)
        return group

    async def _run(self, group: list[_Queued]) -> None:
        loop = asyncio.get_running_loop()
        try:
            # TimeoutError is an OSError: the callers report it as StoreUnavailable.
            async with asyncio.timeout_at(max(queued.deadline for queued in group)):
                await self._lock.acquire()
        except BaseException as error:
            _fail(group, error)
            if not isinstance(error, Exception):
                raise
            return
        try:
            now = loop.time()
            # What is left of each unit's budget for SQLite's own wait (another process's
            # lock), rounded down to the busy handler's step; a unit with none left fails.
            left = {id(queued): remaining_budget_ms(queued.deadline - now) for queued in group}
            late = [queued for queued in group if left[id(queued)] <= 0]
            _fail(late, TimeoutError("no time left to wait for the SQLite write lock"))
            group = [queued for queued in group if left[id(queued)] > 0]
            if not group:
                return
            budget_ms = min(left[id(queued)] for queued in group)
            try:
                outcomes = self._inline(group)
                if outcomes is None:
                    outcomes = await self._run_group([queued.work for queued in group], budget_ms)
            except BaseException as error:
                _fail(group, error)
                if not isinstance(error, Exception):
                    raise
                return
            for queued, (ok, value) in zip(group, outcomes, strict=True):
                if queued.future.done():
                    continue
                if ok:
                    queued.future.set_result(value)
                else:
                    queued.future.set_exception(value)
        finally:
            self._lock.release()
            if self._on_written is not None:
                self._on_written()

    def _inline(self, group: list[_Queued]) -> list[Outcome] | None:
        """The group's outcomes if it is one short unit with nobody queued behind it, run
        inline; None: the writer thread runs it (a longer queue is better served grouped)."""
        if self._run_inline is None or len(group) != 1 or not group[0].short or self._queued:
            return None
        outcome = self._run_inline(group[0].work)
        return None if outcome is None else [outcome]


def remaining_budget_ms(seconds: float) -> int:
    """``seconds`` of a writer's lock budget left, in ms rounded down to the busy handler's
    step (0 or less: none left)."""
    budget_ms = int(seconds * 1000)
    return budget_ms - budget_ms % BUSY_BUDGET_STEP_MS


def _fail(group: Sequence[_Queued], error: BaseException) -> None:
    for queued in group:
        if not queued.future.done():
            queued.future.set_exception(
                error if isinstance(error, Exception) else asyncio.CancelledError()
            )


def run_units_in_savepoints(
    connection: Any, units: Sequence[Callable[[Any], Any]], driver_sql: Callable[[str], None]
) -> list[Outcome]:
    """The writer thread's half: ``units`` one after another on ``connection``, inside the
    transaction the caller began, each in a savepoint (``driver_sql`` runs a statement on the
    driver's connection). A lone unit needs none: its exception rolls the whole transaction
    back."""
    if len(units) == 1:
        return [(True, units[0](connection))]
    outcomes: list[Outcome] = []
    for unit in units:
        driver_sql("SAVEPOINT jotauth_unit")
        try:
            value = unit(connection)
        except (exc.OperationalError, exc.InterfaceError):
            raise  # the transaction itself is in doubt: the whole group fails
        except Exception as error:
            driver_sql("ROLLBACK TO jotauth_unit")
            driver_sql("RELEASE jotauth_unit")
            outcomes.append((False, error))
        else:
            driver_sql("RELEASE jotauth_unit")
            outcomes.append((True, value))
    return outcomes
