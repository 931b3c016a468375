"""Fixtures: an auth server on the parametrised database, or on SQLite only."""

from collections.abc import AsyncIterator

import pytest

from tests.integration.server.server_harness import Server, server_settings, start_server


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[Server]:
    async for running in start_server(server_settings(database_url)):
        yield running


@pytest.fixture
async def sqlite_server(sqlite_url: str) -> AsyncIterator[Server]:
    """For tests of the HTTP surface only, where the database makes no difference."""
    async for running in start_server(server_settings(sqlite_url)):
        yield running
