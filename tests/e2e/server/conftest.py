"""Fixtures: one ``jotauth serve`` per module and backend (fresh SQLite file, fresh PG DB)."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.e2e.server.server_process import (
    Browser,
    ServerProcess,
    running_server_on,
)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """``jotauth serve`` on loopback, production cookie settings, on SQLite and PostgreSQL."""
    workdir: Path = tmp_path_factory.mktemp(f"serve-{request.param}")
    with running_server_on(request.param, workdir) as server:
        yield server


@pytest.fixture
async def browser(live_server: ServerProcess) -> AsyncIterator[Browser]:
    """A fresh cookie jar against the live server."""
    client = Browser(live_server.url)
    yield client
    await client.aclose()
