"""Throw-away PostgreSQL databases on the local server (``scripts/services.sh`` starts it)."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

POSTGRES_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def run_coroutine(make_coro: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a coroutine to completion on a private loop in a thread.

    Safe where a loop is already running (a fixture first asked for by an async test),
    where ``asyncio.run`` would refuse.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(make_coro())
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


async def execute(dsn: str, *statements: str) -> None:
    """Run ``statements`` in order on one connection to ``dsn``."""
    import asyncpg  # type: ignore[import-untyped]  # no stubs; tests only

    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@contextmanager
def fresh_postgres_database(prefix: str = "jotauth_test") -> Iterator[str]:
    """A newly created, uniquely named database (dropped afterwards), as a SQLAlchemy URL."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    run_coroutine(lambda: execute(POSTGRES_ADMIN_DSN, f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        run_coroutine(lambda: execute(POSTGRES_ADMIN_DSN, drop))
