"""Units of work (issue 15): one transaction per call, rolled back on an error, sharing the
SQLite writer queue with ``transaction()``, and on PostgreSQL a pooled connection that died is
replaced without the caller seeing an error."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Connection, Table, func, insert, select, text

from jotauth.sessions import SessionPolicy, SessionService
from jotauth.sessions import service as session_service
from jotauth.settings import Settings
from jotauth.store import AuditLog, Store, open_store
from jotauth.store import audit as audit_module
from jotauth.store.schema import (
    audit_events,
    refresh_tokens,
    sessions,
    throttled_attempts,
    users,
)


def _add_event(conn: Connection, name: str) -> int:
    conn.execute(insert(audit_events).values(event=name, at=time.time()))
    return int(conn.execute(select(func.count()).select_from(audit_events)).scalar_one())


async def _events(store: Store, name: str) -> int:
    async with store.read() as conn:
        count = await conn.execute(
            select(func.count()).select_from(audit_events).where(audit_events.c.event == name)
        )
        return int(count.scalar_one())


async def test_a_unit_commits_its_statements_and_returns_the_result(store: Store) -> None:
    seen = await store.write_unit(lambda conn: _add_event(conn, "unit_ok"))
    assert seen >= 1
    assert await _events(store, "unit_ok") == 1
    assert await store.read_unit(lambda conn: _add_event.__name__) == "_add_event"


async def test_a_unit_that_raises_leaves_nothing_behind(store: Store) -> None:
    def fails(conn: Connection) -> None:
        _add_event(conn, "unit_rolled_back")
        raise LookupError("boom")

    with pytest.raises(LookupError):
        await store.write_unit(fails)
    assert await _events(store, "unit_rolled_back") == 0


async def test_units_and_transactions_of_one_process_never_interleave(store: Store) -> None:
    # Each writer reads the count, yields, then writes count + 1: interleaved writers would
    # lose updates (and on SQLite a unit's thread would meet the transaction's lock).
    async def by_transaction() -> None:
        async with store.transaction() as conn:
            await conn.execute(insert(audit_events).values(event="mixed", at=time.time()))

    await asyncio.gather(
        *(store.write_unit(lambda conn: _add_event(conn, "mixed")) for _ in range(10)),
        *(by_transaction() for _ in range(10)),
    )
    assert await _events(store, "mixed") == 20


async def _kill_backend(store: Store, backend: int) -> None:
    """End a pooled connection's backend behind the pool's back (a restarted server does)."""
    dsn = store.engine.url.render_as_string(hide_password=False)
    killer = await asyncpg.connect(dsn.replace("postgresql+asyncpg", "postgresql"))
    try:
        await killer.execute("SELECT pg_terminate_backend($1)", backend)
    finally:
        await killer.close()


@pytest.mark.postgres
async def test_a_dead_pooled_connection_is_replaced_without_an_error(store: Store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL only")
    backend = await store.read_unit(lambda c: c.execute(text("SELECT pg_backend_pid()")).scalar())
    # Kill the pooled connection's backend behind the pool's back (a restarted server does).
    await _kill_backend(store, backend)
    # Used again at once: the checkout skips the ping, the first statement fails, the unit
    # runs again on a fresh connection.
    answered = await store.read_unit(lambda c: c.execute(text("SELECT pg_backend_pid()")).scalar())
    assert answered != backend


@pytest.mark.postgres
async def test_a_dead_connection_met_by_a_prepared_statement_is_replaced_too(store: Store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL only")
    from jotauth.sessions.statements import SESSION_BY_ID

    def read(conn: Connection) -> tuple[int, object]:
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        return int(backend), conn.execute(SESSION_BY_ID, {"b_sid": "none"}).first()

    backend, _ = await store.read_unit(read)
    await _kill_backend(store, backend)
    # The first statement of the next unit is the prepared one (run on the driver's cursor):
    # its failure still invalidates the connection, and the unit runs again on a fresh one.
    assert await store.read_unit(lambda c: c.execute(SESSION_BY_ID, {"b_sid": "x"}).first()) is None
    again, _ = await store.read_unit(read)
    assert again != backend


def _seed_purgeable(now: float) -> dict[Table, list[dict[str, Any]]]:
    """40 sessions with a refresh token each, 30 of them past their absolute expiry; 10 audit
    events and 3 hourly throttled counts older than a cutoff at ``now - 100``, 2 and 1 newer."""
    user = {
        "id": "u" * 32, "email": "purge@example.org", "name": "", "password_hash": "x",
        "roles": [], "scope": [], "disabled": False, "created_at": now, "updated_at": now,
    }  # fmt: skip
    return {
        users: [user],
        sessions: [
            {"id": f"{i:032d}", "user_id": "u" * 32, "created_at": now, "last_used_at": now,
             "idle_expires_at": now + 60, "expires_at": now - 1 if i < 30 else now + 60,
             "user_agent": "", "ip": ""}
            for i in range(40)
        ],
        refresh_tokens: [
            {"token_hash": f"{i:064d}", "session_id": f"{i:032d}", "state": "active",
             "created_at": now}
            for i in range(40)
        ],
        audit_events: [
            {"event": "login", "at": now - 200 if i < 10 else now, "user_id": "u" * 32}
            for i in range(12)
        ],
        throttled_attempts: [
            {"event": "login_failed", "window_start": now - 3600 * (hours + 1), "ip": "::1",
             "user_id": "", "count": 2, "last_at": now}
            for hours in range(3)
        ] + [{"event": "login_failed", "window_start": now - 50, "ip": "::1", "user_id": "",
              "count": 1, "last_at": now}],
    }  # fmt: skip


async def test_the_purges_go_in_short_write_units_and_spare_what_is_not_due(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = time.time()
    async with store.transaction() as conn:
        for table, rows in _seed_purgeable(now).items():
            await conn.execute(insert(table), rows)
    service = SessionService(
        store, SessionPolicy.from_settings(Settings()), audit=AuditLog(store), secret=b"k" * 32
    )
    monkeypatch.setattr(session_service, "PURGE_BATCH", 7)
    monkeypatch.setattr(audit_module, "PURGE_BATCH", 4)
    units: list[object] = []
    write_unit = store.write_unit

    async def counted(work: Any, **options: Any) -> Any:
        units.append(work)
        return await write_unit(work, **options)

    def refused(*args: Any, **kwargs: Any) -> Any:
        # On SQLite a transaction holds the file's write lock for as long as it runs.
        raise AssertionError("a purge opened a transaction of its own")

    monkeypatch.setattr(store, "write_unit", counted)
    monkeypatch.setattr(store, "transaction", refused)
    assert await service.purge_expired() == 30
    assert len(units) == 5  # 7 + 7 + 7 + 7 + 2
    units.clear()
    assert await AuditLog(store).purge_before(now - 100) == 10
    assert len(units) == 4  # events 4 + 4 + 2, then the 3 counts
    monkeypatch.undo()

    async with store.read() as conn:
        left = {
            table.name: sorted(map(str, (await conn.execute(select(column))).scalars()))
            for table, column in (
                (sessions, sessions.c.id),
                (refresh_tokens, refresh_tokens.c.session_id),
                (audit_events, audit_events.c.at),
                (throttled_attempts, throttled_attempts.c.window_start),
            )
        }
    live = [f"{i:032d}" for i in range(30, 40)]
    assert left == {
        "sessions": live,
        "refresh_tokens": live,  # an expired session's tokens went with it
        "audit_events": [str(now)] * 2,
        "throttled_attempts": [str(now - 50)],
    }


@pytest.mark.postgres
async def test_a_purge_skips_expired_sessions_another_transaction_holds(store: Store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL only: row locks (SQLite's write transaction shuts out the rest)")
    now = time.time()
    seed = _seed_purgeable(now)
    async with store.transaction() as conn:
        for table in (users, sessions):
            await conn.execute(insert(table), seed[table])
    service = SessionService(
        store, SessionPolicy.from_settings(Settings()), audit=AuditLog(store), secret=b"k" * 32
    )
    held = f"{0:032d}"
    async with store.transaction() as holder:
        await holder.execute(select(sessions.c.id).where(sessions.c.id == held).with_for_update())
        # Not waited for: the purge finishes while the row is still locked.
        assert await asyncio.wait_for(service.purge_expired(), timeout=10) == 29
    assert await service.purge_expired() == 1


@pytest.mark.postgres
async def test_a_burst_past_the_pool_waits_for_its_connections_instead_of_opening_more(
    database_url: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    store = await open_store(Settings(database_url=database_url, database_pool_size=3))
    try:

        def backend(conn: Connection) -> int:
            return int(conn.execute(text("SELECT pg_backend_pid() FROM pg_sleep(0.02)")).scalar())

        async def burst() -> set[int]:
            return set(await asyncio.gather(*(store.read_unit(backend) for _ in range(12))))

        first = await burst()
        assert len(first) <= 3  # every unit answered, on no more connections than the pool's
        assert await burst() <= first  # the same connections again: none closed and reopened
    finally:
        await store.close()
