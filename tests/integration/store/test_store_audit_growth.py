"""Throttled logins do not grow the store, and audit events are purged past their retention
(issue 10, item 4): 400 throttled logins used to be 400 audit rows, kept for ever."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import func, inspect, select

from jotauth.server.maintenance import purge_old_audit_events
from jotauth.settings import Settings
from jotauth.store import AuditLog, Store, StoreUnavailable, open_store
from jotauth.store.schema import audit_events, throttled_attempts
from jotauth.store.throttled_attempts import ThrottledAttempts
from jotauth.throttle import InMemoryLoginThrottle
from jotauth.users import LoginThrottled, PasswordHasher, UserService
from tests.support.clock import SettableClock

PASSWORD = "correct horse battery staple"
DAY = 86400.0


async def _rows(store: Store, table: object) -> int:
    async with store.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def test_four_hundred_throttled_logins_add_no_audit_row_and_one_count(
    store_settings: Settings,
) -> None:
    settings = store_settings.model_copy(update={"login_attempts_per_account": 5})
    store = await open_store(settings)
    hasher = PasswordHasher(settings)
    audit = AuditLog(store)
    users = UserService(
        store,
        hasher,
        throttle=InMemoryLoginThrottle(settings),
        audit=audit,
        min_password_length=12,
    )
    try:
        await users.create_user("victim@example.com", PASSWORD)
        throttled = 0
        for n in range(400):
            try:
                await users.authenticate("victim@example.com", f"guess {n}", ip="203.0.113.9")
            except LoginThrottled:
                throttled += 1
        assert throttled == 395
        # The five evaluated guesses are events; the 395 refusals are not rows at all...
        assert await _rows(store, audit_events) == 1 + 5  # user_created + login_failed x5
        assert await _rows(store, throttled_attempts) == 0
        # ...until the flush writes them as one aggregated count.
        assert await audit.flush_throttled() == 1
        [counted] = await audit.throttled_counts(event="login_failed")
        assert (counted.count, counted.ip, counted.user_id) == (395, "203.0.113.9", None)
        assert await _rows(store, audit_events) == 6
    finally:
        hasher.close()
        await store.close()


async def test_counts_flushed_by_several_instances_add_up(store_settings: Settings) -> None:
    store = await open_store(store_settings)
    clock = SettableClock(1_800_000_000.0)
    instances = [AuditLog(store, clock=clock) for _ in range(2)]
    try:
        for _ in range(3):
            for audit in instances:
                audit.record_throttled("login_failed", ip="198.51.100.1")
                audit.record_throttled("signup_failed", ip="198.51.100.1")
                await audit.flush_throttled()
            clock.now += 1
        counts = await instances[0].throttled_counts()
        assert sorted((c.event, c.count) for c in counts) == [
            ("login_failed", 6),
            ("signup_failed", 6),
        ]
        assert all(c.last_at == clock.now - 1 for c in counts)
    finally:
        await store.close()


async def test_a_flush_while_sqlite_is_locked_keeps_its_counts_for_the_next(
    sqlite_url: str,
) -> None:
    store = await open_store(Settings(database_url=sqlite_url, sqlite_busy_timeout=0.2))
    audit = AuditLog(store)
    for _ in range(3):
        audit.record_throttled("login_failed", ip="192.0.2.7")
    blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with pytest.raises(StoreUnavailable):
            await audit.flush_throttled()
        audit.record_throttled("login_failed", ip="192.0.2.7")  # counted meanwhile
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    try:
        await audit.flush_throttled()
        [counted] = await audit.throttled_counts()
        assert counted.count == 4
    finally:
        await store.close()


async def test_a_spray_from_many_addresses_keeps_memory_bounded_and_every_attempt_counted(
    sqlite_url: str,
) -> None:
    store = await open_store(Settings(database_url=sqlite_url))
    counters = ThrottledAttempts(store, clock=SettableClock(1_800_000_000.0), max_pending=10)
    try:
        for n in range(1000):
            counters.count("login_failed", ip=f"10.0.{n // 256}.{n % 256}", user_id=None)
        assert counters.pending == 11  # ten addresses and the overflow row
        await counters.flush()
        counts = await counters.list_counts()
        assert sum(c.count for c in counts) == 1000
        assert {c.count for c in counts if c.ip == "*"} == {990}
    finally:
        await store.close()


async def test_events_older_than_the_retention_are_purged_and_newer_ones_kept(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jotauth.store.audit as audit_module

    monkeypatch.setattr(audit_module, "PURGE_BATCH", 4)  # several batches for 10 old events
    store = await open_store(store_settings)
    clock = SettableClock(1_800_000_000.0)
    audit = AuditLog(store, clock=clock)
    try:
        for n in range(10):
            await audit.record("login_failed", ip="192.0.2.1", detail={"n": n})
        audit.record_throttled("login_failed", ip="192.0.2.1")
        await audit.flush_throttled()
        clock.now += 91 * DAY
        await audit.record("login", user_id="u1")
        audit.record_throttled("login_failed", ip="192.0.2.1")
        await audit.flush_throttled()

        assert await audit.purge_before(clock.now - 90 * DAY) == 10
        assert [event.event for event in await audit.list_events()] == ["login"]
        assert [c.window_start > clock.now - DAY for c in await audit.throttled_counts()] == [True]
    finally:
        await store.close()


async def test_the_maintenance_runner_purges_past_audit_retention_days_from_the_start(
    store_settings: Settings,
) -> None:
    store = await open_store(store_settings)
    clock = SettableClock(1_800_000_000.0)
    audit = AuditLog(store, clock=clock)
    stop = asyncio.Event()
    try:
        await audit.record("login", user_id="old")
        clock.now += 31 * DAY
        await audit.record("login", user_id="recent")
        # Not an hour later: a server restarted more often than its interval still purges.
        runner = asyncio.create_task(
            purge_old_audit_events(audit, stop, retention_days=30, clock=clock, interval=3600)
        )
        for _ in range(100):
            if len(await audit.list_events()) == 1:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await runner
        assert [event.user_id for event in await audit.list_events()] == ["recent"]
    finally:
        await store.close()


async def test_the_audit_look_ups_and_the_purge_have_indexes(store_settings: Settings) -> None:
    store = await open_store(store_settings)
    try:
        async with store.read() as conn:
            indexes = await conn.run_sync(
                lambda sync: {
                    table: {tuple(ix["column_names"]) for ix in inspect(sync).get_indexes(table)}
                    for table in ("audit_events", "throttled_attempts")
                }
            )
    finally:
        await store.close()
    assert {("at",), ("user_id",), ("session_id",), ("event", "id")} <= indexes["audit_events"]
    assert ("window_start",) in indexes["throttled_attempts"]
