"""Background deletes of many rows as short write units, so writers never wait long behind
one: the session purge and the audit trail's retention purge.

On SQLite a write transaction holds the whole file's write lock; a purge of 50,000 audit rows
in batches of 5,000 kept a refresh waiting 15-27 ms (issue 15). Each batch here is a write
unit of its own, one prepared statement through the store's writer queue like a refresh,
followed by a pause.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Delete, Table, bindparam, delete, select, tuple_

from jotauth.store.database import Store
from jotauth.store.unit_statements import prepared

# The longest pause after a batch: a batch slowed by a busy machine does not stall the purge.
PAUSE_MAX_S = 0.05


def batch_delete(
    table: Table,
    key: Sequence[ColumnElement[Any]],
    due: ColumnElement[bool],
    *,
    order_by: ColumnElement[Any] | None = None,
    skip_locked: bool = False,
) -> Delete:
    """A prepared ``DELETE`` of at most ``batch`` (a bound parameter) rows of ``table`` that
    are ``due``, picked by their ``key`` columns (in ``order_by`` order when given). With
    ``skip_locked``, PostgreSQL locks the picked rows first and skips those another
    transaction holds (on SQLite the write transaction is exclusive anyway)."""
    picked = select(*key).where(due).limit(bindparam("batch"))
    if order_by is not None:
        picked = picked.order_by(order_by)
    if skip_locked:
        picked = picked.with_for_update(skip_locked=True)
    # One key column is compared as a scalar, several as a row value.
    chosen = key[0].in_(picked.scalar_subquery()) if len(key) == 1 else tuple_(*key).in_(picked)
    return prepared(delete(table).where(chosen))


async def delete_in_batches(
    store: Store, statement: Delete, params: Mapping[str, Any], size: int
) -> int:
    """Run ``statement`` (from :func:`batch_delete`) with ``params`` and batches of ``size``,
    each its own write unit, until a batch deletes fewer; the total.

    After each full batch it pauses as long as the batch took. This process's writers queue in
    FIFO order between batches anyway; a writer in another process polls the SQLite lock with
    back-off sleeps and would hardly ever find it free otherwise.
    """
    bound = {**params, "batch": size}

    def batch(conn: Any) -> int:
        return int(conn.execute(statement, bound).rowcount)

    deleted = 0
    while True:
        started = time.monotonic()
        count = await store.write_unit(batch)
        deleted += count
        if count < size:
            return deleted
        await asyncio.sleep(min(time.monotonic() - started, PAUSE_MAX_S))
