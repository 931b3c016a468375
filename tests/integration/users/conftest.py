"""What the CLI tests of this directory share: the environment of ``jotauth users``."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``JOTAUTH_*`` for an admin command on a fresh SQLite file (cheap argon2), run from
    ``tmp_path`` (no stray jotauth.toml); returns the database file's path."""
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "cli.db"
    values = {
        "JOTAUTH_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "JOTAUTH_SECRET_KEY": "cli-test-secret-0123456789abcdef",
        "JOTAUTH_ARGON2_TIME_COST": "1",
        "JOTAUTH_ARGON2_MEMORY_COST": "64",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return database
