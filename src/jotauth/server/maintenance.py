"""Background housekeeping of a running server: expired sessions leave the store."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from jotauth.sessions import SessionService

_log = logging.getLogger("jotauth.server.maintenance")

PURGE_INTERVAL_S = 3600.0


async def purge_expired_sessions(
    sessions: SessionService, stop: asyncio.Event, *, interval: float = PURGE_INTERVAL_S
) -> None:
    """Every ``interval`` seconds, delete sessions past their absolute expiry, until ``stop``.

    Several instances may run this at once; the delete is idempotent.
    """
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
        if stop.is_set():
            return
        try:
            purged = await sessions.purge_expired()
        except Exception as error:  # the store may be down for a while: try again later
            _log.warning("session purge failed: %s", type(error).__name__)
            continue
        if purged:
            _log.info("purged expired sessions", extra={"sessions": purged})
