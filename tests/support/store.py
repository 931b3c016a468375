"""The opened store on the parametrised database (a pytest plugin, registered in
``tests/conftest.py``): each test that asks for ``store`` runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from jotauth.settings import Settings
from jotauth.store import Store, open_store


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """The store on ``database_url``, migrated to the latest schema; closed after the test."""
    opened = await open_store(Settings(database_url=database_url))
    yield opened
    await opened.close()
