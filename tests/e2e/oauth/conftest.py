"""One live provider per module, with a confidential first-party web app and a public
third-party SPA registered through the CLI."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from provider_harness import (
    SPA_LOGOUT,
    SPA_ORIGIN,
    SPA_REDIRECT,
    WEB_LOGOUT,
    WEB_REDIRECT,
    Browser,
    Client,
    ServerProcess,
    register,
    running_server,
)


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``jotauth serve`` on SQLite in production mode."""
    workdir: Path = tmp_path_factory.mktemp("oauth")
    with running_server(
        f"sqlite+aiosqlite:///{workdir}/jotauth.db",
        workdir,
        JOTAUTH_ALGORITHM="RS256",
        JOTAUTH_ALLOWED_ORIGINS=json.dumps(["http://app.localhost:4200"]),
    ) as server:
        yield server


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
