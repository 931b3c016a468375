"""One live provider per module, with a confidential first-party web app and a public
third-party SPA registered through the CLI."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.e2e.oauth.provider_harness import (
    SPA_LOGOUT,
    SPA_ORIGIN,
    SPA_REDIRECT,
    WEB_LOGOUT,
    WEB_REDIRECT,
    Browser,
    Client,
    ServerProcess,
    fresh_postgres_database,
    register,
    running_server,
)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def provider(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """``jotauth serve`` in production mode, on SQLite and on PostgreSQL."""
    workdir: Path = tmp_path_factory.mktemp(f"oauth-{request.param}")
    settings = {
        "JOTAUTH_ALGORITHM": "RS256",
        "JOTAUTH_ALLOWED_ORIGINS": json.dumps(["http://app.localhost:4200"]),
    }
    with contextlib.ExitStack() as stack:
        url = (
            f"sqlite+aiosqlite:///{workdir}/jotauth.db"
            if request.param == "sqlite"
            else stack.enter_context(fresh_postgres_database())
        )
        yield stack.enter_context(running_server(url, workdir, **settings))


@pytest.fixture(scope="module")
def web_app(provider: ServerProcess) -> Client:
    """A confidential, first-party server-side web app (no consent page)."""
    return register(
        provider,
        "Web app",
        WEB_REDIRECT,
        "--confidential",
        "--first-party",
        "--post-logout-redirect-uri",
        WEB_LOGOUT,
        "--scope",
        "lessons:read",
    )


@pytest.fixture(scope="module")
def spa(provider: ServerProcess) -> Client:
    """A public third-party single-page app on another origin (consent page)."""
    assert SPA_REDIRECT.startswith(SPA_ORIGIN)
    return register(
        provider, "Lesson SPA", SPA_REDIRECT, "--public", "--post-logout-redirect-uri", SPA_LOGOUT
    )


@pytest.fixture
async def browser(provider: ServerProcess) -> AsyncIterator[Browser]:
    """A fresh cookie jar against the provider."""
    client = Browser(provider.url)
    yield client
    await client.aclose()
