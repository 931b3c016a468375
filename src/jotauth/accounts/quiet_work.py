"""Work done after the answer: what would tell by its duration whether an address exists.

``forgot``, the enumeration-safe sign-up and the anonymous verification resend answer 202
at once, the same for every address, and hand back the part that depends on the address
(look it up, hash a password, write a token and a mail) as :data:`Deferred` work. The HTTP
layer starts it here once the response has been sent, so the answer's timing cannot tell a
registered address from an unknown one (OWASP Forgot Password Cheat Sheet: "ensure that
responses return in a consistent amount of time").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

_log = logging.getLogger("jotauth.accounts")
# What a use case leaves to do after the answer.
Deferred = Callable[[], Awaitable[None]]
# A flood beyond this (the mail throttle bounds it per client address long before) waits
# for a slot instead of growing the task set without bound.
MAX_PENDING = 256


class QuietWork:
    """A bounded set of background jobs; :meth:`idle` waits for all of them."""

    def __init__(self, *, max_pending: int = MAX_PENDING) -> None:
        self._slots = asyncio.Semaphore(max_pending)
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, job: Deferred, *, what: str) -> None:
        """Run ``job`` in the background (a failure is logged by type, never raised)."""
        await self._slots.acquire()

        async def run() -> None:
            try:
                await job()
            except Exception as error:  # the store may be down: the user asks again
                _log.warning("%s failed: %s", what, type(error).__name__)
            finally:
                self._slots.release()

        task = asyncio.create_task(run(), name=f"jotauth-{what}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait until every started job has finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
