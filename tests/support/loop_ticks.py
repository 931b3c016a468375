"""Whether the event loop kept running while a test awaited something slow."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class LoopTicks:
    """How often a task sleeping ``interval`` seconds at a time got to run."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.count = 0


@contextlib.asynccontextmanager
async def loop_ticks(interval: float) -> AsyncIterator[LoopTicks]:
    """Count the loop's ticks for the duration of the block (a loop blocked by a
    synchronous call or a held lock ticks far less than once per ``interval``)."""
    ticks = LoopTicks(interval)

    async def tick() -> None:
        while True:
            await asyncio.sleep(interval)
            ticks.count += 1

    task = asyncio.create_task(tick())
    try:
        yield ticks
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
