"""Fixtures shared by every test suite; each section is owned by the layer named in it."""

# --- storage: PostgreSQL, Redis and database URLs (owner: store/users/sessions) --------------
# Real servers, never mocks: PostgreSQL gets a uniquely named database per test run (dropped at
# the end, emptied before each test that asks for it); Redis gets a unique key prefix per test.

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.databases import fresh_postgres_database, run_coroutine

# Fixtures every suite may ask for: the session's signing keys and the opened store.
pytest_plugins = ["tests.support.keys", "tests.support.store"]

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _pg_truncate_all(dsn: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        tables = [
            row["tablename"]
            for row in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
            if not row["tablename"].endswith("alembic_version")
        ]
        if tables:
            await conn.execute(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
            )
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database for this test run, as a ``postgresql+asyncpg://`` URL."""
    with fresh_postgres_database("jotauth_test") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    """A SQLite file URL in this test's temporary directory (the file does not exist yet)."""
    return f"sqlite+aiosqlite:///{tmp_path}/jotauth.db"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """Each test runs twice: on a fresh SQLite file and on an emptied PostgreSQL database."""
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("postgres_url")
    plain_dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    run_coroutine(lambda: _pg_truncate_all(plain_dsn))
    return url


@pytest.fixture
def redis_url() -> str:
    """The local Redis server's URL (fails loudly when it is not running)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix unique to this test; every key under it is deleted afterwards."""
    import redis

    prefix = f"jotauth-test:{secrets.token_hex(6)}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def store_settings(database_url: str) -> Any:
    """Settings for service tests: the parametrised database, a secret, cheap argon2."""
    from jotauth.settings import Settings

    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-0123456789abcdef0123456789",
        argon2_time_cost=1,
        argon2_memory_cost=64,
        argon2_parallelism=1,
        hash_workers=2,
        password_min_length=12,
    )
