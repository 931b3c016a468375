"""Units of work (issue 15): one transaction per call, rolled back on an error, sharing the
SQLite writer queue with ``transaction()``, and on PostgreSQL a pooled connection that died is
replaced without the caller seeing an error."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest
from sqlalchemy import Connection, func, insert, select, text

from jotauth.sessions import SessionPolicy, SessionService
from jotauth.sessions import service as session_service
from jotauth.settings import Settings
from jotauth.store import AuditLog, Store, open_store
from jotauth.store.schema import audit_events, sessions, users


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


async def test_the_purge_goes_in_small_batches_and_spares_live_sessions(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_service, "PURGE_BATCH", 7)
    now = time.time()
    async with store.transaction() as conn:
        await conn.execute(
            insert(users).values(
                id="u" * 32,
                email="purge@example.org",
                name="",
                password_hash="x",
                roles=[],
                scope=[],
                disabled=False,
                created_at=now,
                updated_at=now,
            )
        )
        await conn.execute(
            insert(sessions),
            [
                {
                    "id": f"{i:032d}",
                    "user_id": "u" * 32,
                    "created_at": now,
                    "last_used_at": now,
                    "idle_expires_at": now + 60,
                    "expires_at": now - 1 if i < 30 else now + 60,
                    "user_agent": "",
                    "ip": "",
                }
                for i in range(40)
            ],
        )
    settings = Settings()
    service = SessionService(
        store, SessionPolicy.from_settings(settings), audit=AuditLog(store), secret=b"k" * 32
    )
    assert await service.purge_expired() == 30
    async with store.read() as conn:
        left = (await conn.execute(select(sessions.c.id))).scalars().all()
    assert sorted(left) == [f"{i:032d}" for i in range(30, 40)]


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
