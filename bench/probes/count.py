"""Statements, transactions, pings and thread hops of one refresh, one ``/me`` and one login.

    PYTHONPATH=TREE/src .venv/bin/python bench/probes/count.py DATABASE_URL

Counted in process through the use cases the routes call (SignIn.refresh; OwnAccount.live_session
and profile; SignIn.login), after three warm-up refreshes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.engine import Engine

from jotauth.accounts import ClientInfo
from jotauth.composition import open_services
from jotauth.settings import Settings

PASSWORD = "correct horse battery staple"
COUNTS = dict.fromkeys(("statements", "begin", "commit", "ping", "hops"), 0)


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


def _report(label: str) -> None:
    print(
        f"{label}: {COUNTS['statements']} statements, {COUNTS['begin']} BEGIN,"
        f" {COUNTS['commit']} COMMIT, {COUNTS['ping']} pings,"
        f" {COUNTS['hops']} thread hops (aiosqlite calls + executor jobs)"
    )
    for key in COUNTS:
        COUNTS[key] = 0


async def main(url: str) -> None:
    settings = Settings(
        database_url=url,
        secret_key="s" * 40,
        issuer="http://bench.invalid",
        signup_enabled=True,
    )
    async with open_services(settings) as services:
        assert services.signing is not None and services.accounts is not None
        await services.signing.keys.start()
        sign_in, own = services.accounts.sign_in, services.accounts.own_account
        client = ClientInfo(user_agent="bench", ip="127.0.0.1")
        email = "count@example.org"
        await sign_in.sign_up(
            email=email, password=PASSWORD, name="", client=client, refresh_delivery="body"
        )
        signed = await sign_in.login(
            email=email, password=PASSWORD, client=client, refresh_delivery="body"
        )
        token = signed.issued.refresh_token
        for _ in range(3):
            signed = await sign_in.refresh(refresh_token=token, presented_in="body")
            token = signed.issued.refresh_token
        await asyncio.sleep(0.2)
        for key in COUNTS:
            COUNTS[key] = 0
        signed = await sign_in.refresh(refresh_token=token, presented_in="body")
        _report("refresh")
        claims = services.signing.verifier.verify(signed.access.token)
        await own.live_session(claims)
        await own.profile(claims)
        _report("/me")
        await sign_in.login(email=email, password=PASSWORD, client=client, refresh_delivery="body")
        _report("login")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
