"""Background deletes of many rows as short write units, so writers never wait long behind
one: the session purge and the audit trail's retention purge.

On SQLite a write transaction holds the whole file's write lock; a purge of 50,000 audit rows
in batches of 5,000 kept a refresh waiting 15-27 ms (issue 15). Each batch here is a write
unit of its own, through the store's writer queue like a refresh, followed by a pause.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy import Connection

from jotauth.store.database import Store

# The longest pause after a batch: a batch slowed by a busy machine does not stall the purge.
PAUSE_MAX_S = 0.05


async def delete_in_batches(store: Store, batch: Callable[[Connection], int], size: int) -> int:
    """Run the write unit ``batch`` (it deletes at most ``size`` rows and says how many)
    until a run deletes fewer; the total.

    After each full batch it pauses as long as the batch took. This process's writers queue in
    FIFO order between batches anyway; a writer in another process polls the SQLite lock with
    back-off sleeps and would hardly ever find it free otherwise.
    """
    deleted = 0
    while True:
        started = time.monotonic()
        count = await store.write_unit(batch)
        deleted += count
        if count < size:
            return deleted
        await asyncio.sleep(min(time.monotonic() - started, PAUSE_MAX_S))
