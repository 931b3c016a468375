"""Background jobs of a running server: a periodic runner; key rotation; expired sessions
and old audit events leave the store; throttled-attempt counts are written."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from jotauth.keys import SigningKeys
from jotauth.sessions import SessionService
from jotauth.store import AuditLog

_log = logging.getLogger("jotauth.server.maintenance")

PURGE_INTERVAL_S = 3600.0
# How often throttled-attempt counts reach the store: the most a kill -9 can lose of them.
THROTTLED_FLUSH_INTERVAL_S = 10.0
_DAY_S = 86400.0


async def run_periodically(
    job: Callable[[], Awaitable[None]],
    *,
    interval: float,
    stop: asyncio.Event,
    what: str,
    immediately: bool = False,
) -> None:
    """Run ``job`` every ``interval`` seconds until ``stop`` is set (first at once when
    ``immediately``).

    A failing run (the store may be down for a while) is logged by exception type only, so
    no driver message with host names reaches the log, and retried at the next interval.
    """
    wait = not immediately
    while not stop.is_set():
        if wait:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
            if stop.is_set():
                return
        wait = True
        try:
            await job()
        except Exception as error:  # keep the server serving; the next run retries
            _log.warning("%s failed: %s", what, type(error).__name__)


async def purge_expired_sessions(
    sessions: SessionService, stop: asyncio.Event, *, interval: float = PURGE_INTERVAL_S
) -> None:
    """Every ``interval`` seconds, delete sessions past their absolute expiry, until ``stop``.

    Several instances may run this at once; the delete is idempotent.
    """

    async def purge() -> None:
        purged = await sessions.purge_expired()
        if purged:
            _log.info("purged expired sessions", extra={"sessions": purged})

    await run_periodically(purge, interval=interval, stop=stop, what="session purge")


def key_check_interval(jwks_max_age: float) -> float:
    """How often a server looks at its keys: a quarter of the JWKS cache period, 0.25-30 s.

    Short enough that a key revoked by another instance or the CLI leaves this instance's JWKS
    quickly (DESIGN §9), long enough not to hammer the store.
    """
    return min(30.0, max(0.25, jwks_max_age / 4))


async def rotate_keys_periodically(
    keys: SigningKeys, stop: asyncio.Event, *, interval: float
) -> None:
    """Background task: one automatic-rotation step every ``interval`` seconds until ``stop``."""
    # A failed tick keeps serving the keys we have; the next one retries.
    await run_periodically(keys.tick, interval=interval, stop=stop, what="key rotation check")


async def purge_old_audit_events(
    audit: AuditLog,
    stop: asyncio.Event,
    *,
    retention_days: int,
    clock: Callable[[], float],
    interval: float = PURGE_INTERVAL_S,
) -> None:
    """At start and every ``interval`` seconds, delete audit events older than
    ``retention_days`` (at start too: a server restarted more often than hourly still purges)."""

    async def purge() -> None:
        purged = await audit.purge_before(clock() - retention_days * _DAY_S)
        if purged:
            _log.info("purged old audit events", extra={"audit_events": purged})

    await run_periodically(
        purge, interval=interval, stop=stop, what="audit purge", immediately=True
    )


async def flush_throttled_attempts(
    audit: AuditLog, stop: asyncio.Event, *, interval: float = THROTTLED_FLUSH_INTERVAL_S
) -> None:
    """Every ``interval`` seconds, and once more at shutdown, write the throttled counts."""

    async def flush() -> None:
        await audit.flush_throttled()

    await run_periodically(flush, interval=interval, stop=stop, what="throttled-attempt flush")
    try:
        await flush()
    except Exception as error:  # shutting down with the store away: the counts are lost
        _log.warning("throttled-attempt flush failed: %s", type(error).__name__)
