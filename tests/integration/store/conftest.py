"""Fixtures shared by the store's integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jotauth.settings import Settings
from jotauth.store import Store, open_store
from tests.integration.store.test_store_sqlite_lock_wait import (  # a fixture
    locked_by_another_process as locked_by_another_process,
)

# The lock budget of sqlite_store's writers, in seconds (tests compare their waits with it).
SQLITE_STORE_BUSY_TIMEOUT_S = 1.0


@pytest.fixture
async def sqlite_store(sqlite_url: str) -> AsyncIterator[Store]:
    """A store on a fresh SQLite file, its writers waiting at most 1 s for the write lock."""
    store = await open_store(
        Settings(database_url=sqlite_url, sqlite_busy_timeout=SQLITE_STORE_BUSY_TIMEOUT_S)
    )
    yield store
    await store.close()


@pytest.fixture
async def store_beside_a_lock_holder(
    locked_by_another_process: Path, sqlite_url: str
) -> AsyncIterator[Store]:
    """A store (the same lock budget as sqlite_store's) on a file whose write lock another
    process holds for the whole test."""
    store = await open_store(
        Settings(database_url=sqlite_url, sqlite_busy_timeout=SQLITE_STORE_BUSY_TIMEOUT_S),
        migrate=False,
    )
    yield store
    await store.close()
