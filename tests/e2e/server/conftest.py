"""Fixtures: one ``jotauth serve`` per module and backend (fresh SQLite file, fresh PG DB)."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.e2e.server.server_process import (
    Browser,
    ServerProcess,
    fresh_postgres_database,
    running_server,
)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """``jotauth serve`` on loopback, production cookie settings, on SQLite and PostgreSQL."""
    workdir: Path = tmp_path_factory.mktemp(f"serve-{request.param}")
    if request.param == "sqlite":
        with running_server(f"sqlite+aiosqlite:///{workdir}/jotauth.db", workdir) as server:
            yield server
    else:
        with fresh_postgres_database() as url, running_server(url, workdir) as server:
            yield server


@pytest.fixture
async def browser(live_server: ServerProcess) -> AsyncIterator[Browser]:
    """A fresh cookie jar against the live server."""
    client = Browser(live_server.url)
    yield client
    await client.aclose()
