"""A database outage is StoreUnavailable (503), never a session error (401 logs users out)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from jotauth.sessions import SessionError, SessionPolicy, SessionService, new_refresh_token
from jotauth.settings import Settings
from jotauth.store import AuditLog, Store, StoreUnavailable, open_store
from jotauth.throttle import InMemoryLoginThrottle
from jotauth.users import PasswordHasher, UserService

SETTINGS = Settings(
    secret_key="outage-test-secret-0123456789abcdef", argon2_time_cost=1, argon2_memory_cost=64
)


def _session_service(store: Store) -> SessionService:
    return SessionService(
        store,
        SessionPolicy.from_settings(SETTINGS),
        audit=AuditLog(store),
        secret=b"outage-test-secret-0123456789abcdef",
    )


@pytest.fixture
async def unreachable_postgres() -> AsyncIterator[Store]:
    # Nothing listens on port 1: every connection attempt is refused.
    engine = create_async_engine(
        "postgresql+asyncpg://postgres@127.0.0.1:1/test", connect_args={"timeout": 2}
    )
    yield Store(engine)
    await engine.dispose()


@pytest.mark.postgres
async def test_refresh_with_the_database_down_is_store_unavailable(
    unreachable_postgres: Store,
) -> None:
    service = _session_service(unreachable_postgres)
    with pytest.raises(StoreUnavailable) as caught:
        await service.rotate_refresh_token(new_refresh_token())
    assert not isinstance(caught.value, SessionError)
    assert caught.value.code == "store_unavailable"
    with pytest.raises(StoreUnavailable):
        await service.create_session("u1", user_agent="x", ip="192.0.2.1")
    with pytest.raises(StoreUnavailable):
        await service.revoke_session("s1", reason="logout")
    with pytest.raises(StoreUnavailable):
        await service.list_sessions("u1")
    with pytest.raises(StoreUnavailable):
        await unreachable_postgres.ping()


@pytest.mark.postgres
async def test_login_with_the_database_down_is_store_unavailable(
    unreachable_postgres: Store,
) -> None:
    hasher = PasswordHasher(SETTINGS)
    users = UserService(
        unreachable_postgres,
        hasher,
        throttle=InMemoryLoginThrottle(SETTINGS),
        audit=AuditLog(unreachable_postgres),
        min_password_length=SETTINGS.password_min_length,
    )
    try:
        with pytest.raises(StoreUnavailable):
            await users.authenticate("alice@example.com", "correct horse battery staple")
    finally:
        hasher.close()


async def test_refresh_while_sqlite_is_locked_past_the_busy_timeout_is_store_unavailable(
    sqlite_url: str,
) -> None:
    settings = SETTINGS.model_copy(update={"database_url": sqlite_url, "sqlite_busy_timeout": 0.2})
    store = await open_store(settings)
    service = _session_service(store)
    blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with pytest.raises(StoreUnavailable):
            await service.rotate_refresh_token(new_refresh_token())
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        await store.close()
