"""Telling every instance that shares a store that its signing keys changed (DESIGN §9).

A key revoked by ``jotauth keys revoke`` (or by another instance) must stop signing and leave
the JWKS on every instance within a second, not at the next rotation check. PostgreSQL pushes
it: the writing transaction sends ``NOTIFY`` and every instance ``LISTEN``s. SQLite has no
notification, but a cheap change signal: ``PRAGMA data_version`` changes on one connection
when any other connection commits, so a listener reads it every ``SQLITE_CHECK_INTERVAL``
seconds (no table read) and only then reloads the keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from jotauth.store.database import Store

KEYS_CHANNEL = "jotauth_keys"
SQLITE_CHECK_INTERVAL = 0.25
_RECONNECT_DELAY = 0.5

_log = logging.getLogger("jotauth.store.changes")


async def announce_key_change(conn: AsyncConnection) -> None:
    """Within a transaction that changed signing keys: tell the listeners once it commits."""
    if conn.dialect.name == "postgresql":
        # Delivered at commit only, and not at all if the transaction rolls back.
        await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": KEYS_CHANNEL})


async def listen_for_key_changes(
    store: Store, on_change: Callable[[], Awaitable[None]], stop: asyncio.Event
) -> None:
    """Call ``on_change`` after every committed key change of another connection, until ``stop``.

    A listener that loses its connection reconnects and calls ``on_change`` once, since a
    change may have committed while it was away. Failures of ``on_change`` are logged and the
    listener goes on (the periodic rotation check still runs as a backstop).
    """
    listen = _listen_postgres if store.dialect == "postgresql" else _watch_sqlite
    while not stop.is_set():
        try:
            await listen(store, on_change, stop)
        except Exception as error:  # any driver's failure: log it, reconnect, keep listening
            _log.warning("key change listener lost: %s", type(error).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), _RECONNECT_DELAY)
        if not stop.is_set():
            await _safely(on_change)


async def _listen_postgres(
    store: Store, on_change: Callable[[], Awaitable[None]], stop: asyncio.Event
) -> None:
    changed = asyncio.Event()
    lost = asyncio.Event()

    def heard(*_: object) -> None:
        changed.set()

    async with store.engine.connect() as conn:
        raw: Any = (await conn.get_raw_connection()).driver_connection
        await raw.add_listener(KEYS_CHANNEL, heard)
        raw.add_termination_listener(lambda *_: lost.set())
        try:
            while not stop.is_set() and not lost.is_set():
                waiters = [asyncio.ensure_future(e.wait()) for e in (changed, lost, stop)]
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
                if changed.is_set():
                    changed.clear()
                    await _safely(on_change)
        finally:
            if not lost.is_set():
                # The connection goes back to the pool: it must not keep listening.
                with contextlib.suppress(Exception):
                    await raw.remove_listener(KEYS_CHANNEL, heard)
    if lost.is_set():
        raise OSError("the LISTEN connection was closed")


async def _watch_sqlite(
    store: Store, on_change: Callable[[], Awaitable[None]], stop: asyncio.Event
) -> None:
    path = store.engine.url.database
    if not path or path == ":memory:":
        await stop.wait()  # an in-memory database has no other writers
        return
    connection = await asyncio.to_thread(sqlite3.connect, path, check_same_thread=False)
    try:
        seen = await asyncio.to_thread(_data_version, connection)
        keys = await asyncio.to_thread(_signing_keys, connection)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SQLITE_CHECK_INTERVAL)
            version = await asyncio.to_thread(_data_version, connection)
            if version != seen:
                seen = version
                # Every commit of another connection (each refresh) moves data_version: the
                # keys are reloaded (RSA private keys parsed, milliseconds each) only when
                # the signing_keys rows changed, not four times a second under traffic.
                now_keys = await asyncio.to_thread(_signing_keys, connection)
                if now_keys != keys:
                    keys = now_keys
                    await _safely(on_change)
    finally:
        await asyncio.to_thread(connection.close)


def _data_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA data_version").fetchone()[0])


def _signing_keys(connection: sqlite3.Connection) -> list[tuple[Any, ...]] | None:
    """Every signing_keys row as it stands (``None`` before the table exists)."""
    try:
        return [tuple(row) for row in connection.execute("SELECT * FROM signing_keys ORDER BY kid")]
    except sqlite3.OperationalError:
        return None


async def _safely(on_change: Callable[[], Awaitable[None]]) -> None:
    try:
        await on_change()
    except Exception as error:  # the store may be down: the next change or check retries
        _log.warning("reloading after a key change failed: %s", type(error).__name__)
