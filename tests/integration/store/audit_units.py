"""Write units over ``audit_events`` for the store's tests: each adds a row and says how many
there are now, and which thread ran it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import Connection, func, insert, select

from jotauth.store import Store
from jotauth.store.schema import audit_events


def add_event(name: str, threads: list[str] | None = None) -> Callable[[Connection], int]:
    """A unit adding an ``audit_events`` row named ``name`` (appending its thread's name to
    ``threads``); it returns the number of rows it sees after its insert."""

    def work(conn: Connection) -> int:
        if threads is not None:
            threads.append(threading.current_thread().name)
        conn.execute(insert(audit_events).values(event=name, at=time.time()))
        return int(conn.execute(select(func.count()).select_from(audit_events)).scalar_one())

    return work


async def event_names(store: Store) -> list[str]:
    """The committed rows' names, oldest first (read through the async engine)."""
    async with store.read() as conn:
        rows = await conn.execute(select(audit_events.c.event).order_by(audit_events.c.id))
        return list(rows.scalars())
