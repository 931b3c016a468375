"""Throttled attempts as counts: added up in memory, written in one upsert per flush.

A throttled login is what an attacker can send without limit, so answering it must cost the
store nothing (issue 10, item 4: 400 throttled logins were 400 audit rows and slowed every
refresh). Each refusal only increments a counter here; a periodic flush adds the counts to
one ``throttled_attempts`` row per (event, hour, address, user). Counts not yet flushed are
lost if the process is killed: at most one flush interval of an aggregate, never an event
about a session or a user.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from jotauth.store.database import Store
from jotauth.store.schema import throttled_attempts

# One row per address per hour: fine enough to see when a spray ran, coarse enough that a
# flood from one address stays one row.
WINDOW_S = 3600.0
# Memory bound of the counters between flushes. Past it, attempts from new addresses are
# counted under OVERFLOW_IP, so no attempt goes uncounted and memory stays bounded.
MAX_PENDING = 10_000
OVERFLOW_IP = "*"

_Key = tuple[str, float, str, str]  # event, window start, ip, user id ('' = unknown)


@dataclass(frozen=True, slots=True)
class ThrottledCount:
    """How many attempts of one kind were throttled for one address and user in one hour."""

    event: str
    window_start: float
    ip: str | None
    user_id: str | None
    count: int
    last_at: float


class ThrottledAttempts:
    """In-memory counters of throttled attempts, flushed to ``throttled_attempts``."""

    def __init__(
        self, store: Store, *, clock: Callable[[], float], max_pending: int = MAX_PENDING
    ) -> None:
        self._store = store
        self._clock = clock
        self._max_pending = max_pending
        self._pending: dict[_Key, tuple[int, float]] = {}  # key -> (count, last attempt)

    def count(self, event: str, *, ip: str | None, user_id: str | None) -> None:
        """Count one throttled attempt (no I/O)."""
        now = self._clock()
        window_start = math.floor(now / WINDOW_S) * WINDOW_S
        key: _Key = (event, window_start, (ip or "")[:64], user_id or "")
        if key not in self._pending and len(self._pending) >= self._max_pending:
            key = (event, window_start, OVERFLOW_IP, "")
        count, _ = self._pending.get(key, (0, now))
        self._pending[key] = (count + 1, now)

    @property
    def pending(self) -> int:
        """How many counters wait for the next flush."""
        return len(self._pending)

    async def flush(self) -> int:
        """Add the pending counts to the store in one transaction; how many rows it touched.

        If the store is unavailable the counts are kept for the next flush (and the error
        raised), so an outage loses nothing.
        """
        if not self._pending:
            return 0
        pending, self._pending = self._pending, {}
        try:
            async with self._store.transaction() as conn:
                for key, (count, last_at) in pending.items():
                    await self._add(conn, key, count, last_at)
        except BaseException:
            for key, (count, last_at) in pending.items():
                newer_count, newer_last = self._pending.get(key, (0, last_at))
                self._pending[key] = (count + newer_count, max(last_at, newer_last))
            raise
        return len(pending)

    async def _add(self, conn: AsyncConnection, key: _Key, count: int, last_at: float) -> None:
        event, window_start, ip, user_id = key
        dialect = sqlite if self._store.dialect == "sqlite" else postgresql
        insert = dialect.insert(throttled_attempts).values(
            event=event,
            window_start=window_start,
            ip=ip,
            user_id=user_id,
            count=count,
            last_at=last_at,
        )
        # Several instances flush into the same rows: add, never overwrite.
        await conn.execute(
            insert.on_conflict_do_update(
                index_elements=["event", "window_start", "ip", "user_id"],
                set_={
                    "count": throttled_attempts.c.count + insert.excluded.count,
                    "last_at": insert.excluded.last_at,
                },
            )
        )

    async def list_counts(self, *, event: str | None = None) -> list[ThrottledCount]:
        """The flushed counts, newest window first."""
        query = select(throttled_attempts).order_by(
            throttled_attempts.c.window_start.desc(), throttled_attempts.c.count.desc()
        )
        if event is not None:
            query = query.where(throttled_attempts.c.event == event)
        async with self._store.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [
            ThrottledCount(
                event=row["event"],
                window_start=row["window_start"],
                ip=row["ip"] or None,
                user_id=row["user_id"] or None,
                count=row["count"],
                last_at=row["last_at"],
            )
            for row in rows
        ]
