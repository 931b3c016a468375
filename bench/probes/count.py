"""Statements, transactions, pings and thread hops of one refresh, one ``/me`` and one login.

    PYTHONPATH=TREE/src .venv/bin/python bench/probes/count.py DATABASE_URL

Counted in process through the whole ASGI app (routes, dependencies, middleware), driven by
httpx's ASGI transport, after three warm-up refreshes and ``/me`` reads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import secrets
import sys
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.engine import Engine

from jotauth.server.app import create_app
from jotauth.settings import Settings

PASSWORD = "correct horse battery staple"
COUNTS = dict.fromkeys(("statements", "begin", "commit", "ping", "hops", "pg_tx"), 0)


def _count(name: str) -> Any:
    def bump(*_: Any, **__: Any) -> None:
        COUNTS[name] += 1

    return bump


event.listen(Engine, "before_cursor_execute", _count("statements"))
event.listen(Engine, "begin", _count("begin"))
event.listen(Engine, "commit", _count("commit"))

_ping = AsyncAdapt_asyncpg_connection.ping


def _counted_ping(self: Any) -> Any:
    COUNTS["ping"] += 1
    return _ping(self)


AsyncAdapt_asyncpg_connection.ping = _counted_ping  # type: ignore[method-assign,assignment]
_submit = concurrent.futures.ThreadPoolExecutor.submit


def _counted_submit(self: Any, *args: Any, **kwargs: Any) -> Any:
    COUNTS["hops"] += 1
    return _submit(self, *args, **kwargs)


try:
    import asyncpg.transaction

    # What PostgreSQL actually receives: SQLAlchemy's "begin"/"commit" events also fire in
    # autocommit, where asyncpg sends neither.
    for _name in ("start", "commit", "rollback"):
        _original = getattr(asyncpg.transaction.Transaction, _name)

        def _counted(original: Any) -> Any:
            async def counted(self: Any) -> Any:
                COUNTS["pg_tx"] += 1
                return await original(self)

            return counted

        setattr(asyncpg.transaction.Transaction, _name, _counted(_original))
except ImportError:  # pragma: no cover
    pass

concurrent.futures.ThreadPoolExecutor.submit = _counted_submit  # type: ignore[method-assign,assignment]
try:
    import aiosqlite.core

    _execute = aiosqlite.core.Connection._execute

    async def _counted_execute(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        COUNTS["hops"] += 1
        return await _execute(self, fn, *args, **kwargs)

    aiosqlite.core.Connection._execute = _counted_execute  # type: ignore[method-assign,assignment]
except ImportError:  # pragma: no cover
    pass


try:
    import anyio.to_thread

    _to_thread = anyio.to_thread.run_sync

    async def _counted_to_thread(*args: Any, **kwargs: Any) -> Any:
        COUNTS["hops"] += 1
        return await _to_thread(*args, **kwargs)

    anyio.to_thread.run_sync = _counted_to_thread  # type: ignore[assignment]
except ImportError:  # pragma: no cover
    pass

try:
    # Prepared statements of units run on the DB-API cursor, past SQLAlchemy's events.
    from jotauth.store.unit_statements import UnitConnection

    _cursor = UnitConnection._cursor

    def _counted_cursor(self: Any, *args: Any, **kwargs: Any) -> Any:
        COUNTS["statements"] += 1
        return _cursor(self, *args, **kwargs)

    UnitConnection._cursor = _counted_cursor  # type: ignore[method-assign]
except ImportError:  # a tree before prepared statements
    pass


def _report(label: str) -> None:
    print(
        f"{label}: {COUNTS['statements']} statements, {COUNTS['begin']} BEGIN,"
        f" {COUNTS['commit']} COMMIT, {COUNTS['ping']} pings,"
        f" {COUNTS['pg_tx']} BEGIN/COMMIT sent to PostgreSQL,"
        f" {COUNTS['hops']} thread hops (aiosqlite calls + executor jobs + FastAPI threadpool)"
    )
    for key in COUNTS:
        COUNTS[key] = 0


async def main(url: str) -> None:
    settings = Settings(
        database_url=url,
        secret_key=secrets.token_urlsafe(48),
        issuer="http://127.0.0.1:9",
        signup_enabled=True,
        login_attempts_per_account=1_000_000,
        login_attempts_per_ip=1_000_000,
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=settings.issuer) as http,
    ):
        email = "count@example.org"
        credentials = {"email": email, "password": PASSWORD, "client": "native"}
        (
            await http.post("/api/auth/signup", json={**credentials, "delivery": "body"})
        ).raise_for_status()
        answer = (await http.post("/api/auth/login", json=credentials)).json()
        for _ in range(3):
            refresh = {"refresh_token": answer["refresh_token"]}
            answer = (await http.post("/api/auth/refresh", json=refresh)).json()
            await http.get(
                "/api/auth/me", headers={"Authorization": f"Bearer {answer['access_token']}"}
            )
        await asyncio.sleep(0.2)
        for key in COUNTS:
            COUNTS[key] = 0
        refreshed = await http.post(
            "/api/auth/refresh", json={"refresh_token": answer["refresh_token"]}
        )
        refreshed.raise_for_status()
        _report("refresh")
        bearer = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        (await http.get("/api/auth/me", headers=bearer)).raise_for_status()
        _report("/me")
        (await http.post("/api/auth/login", json=credentials)).raise_for_status()
        _report("login")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
