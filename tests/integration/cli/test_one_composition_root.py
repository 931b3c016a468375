"""There is one composition root: the server, the admin commands and the demo all open their
services through :func:`jotauth.composition.open_services`, and none builds services itself."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import jotauth.composition
from jotauth.cli import main
from jotauth.server.app import create_app
from jotauth.settings import Settings
from jotauth_demo.accounts import DEMO_ACCOUNTS, ensure_demo_accounts
from jotauth_demo.app import create_demo_app
from jotauth_demo.dispatch import _AppLifespan
from jotauth_demo.settings import demo_settings

REPO = Path(__file__).resolve().parents[3]
# Where services are used, never built: the HTTP layer, the commands, the demo.
CONSUMERS = (REPO / "src/jotauth/server", REPO / "src/jotauth/cli", REPO / "examples/jotauth_demo")
# What only the composition root constructs or opens.
COMPOSED = frozenset(
    {
        "open_store",
        "AuditLog",
        "PasswordHasher",
        "login_throttle_for",
        "InMemoryLoginThrottle",
        "RedisLoginThrottle",
        "SessionService",
        "UserService",
        "KeyRepository",
        "StoredSigningKeys",
        "PemFileSigningKeys",
        "AccessTokenIssuer",
        "OwnTokenVerifier",
    }
)
CHEAP_HASHING = {"argon2_time_cost": 1, "argon2_memory_cost": 64, "argon2_parallelism": 1}


def _calls(path: Path) -> Iterator[tuple[str, int]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            yield name, node.lineno


def test_no_server_cli_or_demo_module_builds_a_service_itself() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{line} {name}"
        for folder in CONSUMERS
        for path in sorted(folder.rglob("*.py"))
        for name, line in _calls(path)
        if name in COMPOSED
    ]
    assert offenders == []


@pytest.fixture
def opened_stores(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """Every store opened through the composition root, by the settings it was opened with."""
    opened: list[Settings] = []
    real_open_store = jotauth.composition.open_store

    async def recording_open_store(settings: Settings, **options: Any) -> Any:
        opened.append(settings)
        return await real_open_store(settings, **options)

    monkeypatch.setattr(jotauth.composition, "open_store", recording_open_store)
    return opened


async def test_the_server_opens_its_services_through_the_root(
    tmp_path: Path, opened_stores: list[Settings]
) -> None:
    settings = Settings(
        dev=True, database_url=f"sqlite+aiosqlite:///{tmp_path / 'server.db'}", **CHEAP_HASHING
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert app.state.context.keys.signing_key() is not None
    assert opened_stores == [settings]


def test_admin_commands_open_their_services_through_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened_stores: list[Settings]
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray jotauth.toml
    monkeypatch.setenv("JOTAUTH_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("JOTAUTH_DEV", "true")
    runner = CliRunner()
    for command in (["users", "list"], ["sessions", "list"], ["keys", "list"]):
        result = runner.invoke(main, command)
        assert result.exit_code == 0, result.output
    assert len(opened_stores) == 3


async def test_the_demo_opens_its_services_through_the_root(
    tmp_path: Path, opened_stores: list[Settings]
) -> None:
    settings = demo_settings(data_dir=tmp_path, host="127.0.0.1", port=8000, **CHEAP_HASHING)
    await ensure_demo_accounts(settings, DEMO_ACCOUNTS)
    lifespan = _AppLifespan(create_demo_app(settings, app_dir=tmp_path / "no-build"))
    assert await lifespan.start()
    await lifespan.stop()
    assert opened_stores == [settings, settings]  # the accounts, then the auth server
