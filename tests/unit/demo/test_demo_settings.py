"""Settings of `jotauth demo`: dev mode, SQLite and a secret key that survives restarts."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from jotauth_demo.settings import demo_settings


def test_the_demo_runs_in_dev_mode_on_sqlite_in_its_data_dir(tmp_path: Path) -> None:
    settings = demo_settings(data_dir=tmp_path / "data", host="127.0.0.1", port=8123)

    assert settings.dev is True
    assert settings.issuer == "http://127.0.0.1:8123"
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'jotauth.db'}"
    assert settings.access_cookie_name == "jot_access"  # no __Host- prefix over plain HTTP
    assert settings.allowed_origins == ("http://127.0.0.1:8123", "http://localhost:8123")


def test_the_secret_key_is_random_private_and_kept_across_restarts(tmp_path: Path) -> None:
    first = demo_settings(data_dir=tmp_path, host="127.0.0.1", port=8000)
    again = demo_settings(data_dir=tmp_path, host="127.0.0.1", port=8000)
    other = demo_settings(data_dir=tmp_path / "other", host="127.0.0.1", port=8000)

    assert first.secret_key is not None and again.secret_key is not None
    assert other.secret_key is not None
    assert len(first.secret_key.get_secret_value()) >= 32
    assert first.secret_key.get_secret_value() == again.secret_key.get_secret_value()
    assert first.secret_key.get_secret_value() != other.secret_key.get_secret_value()
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600


def test_environment_settings_still_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOTAUTH_ACCESS_TOKEN_TTL", "42")

    settings = demo_settings(data_dir=tmp_path, host="127.0.0.1", port=8000)

    assert settings.access_token_ttl == 42


def test_served_as_localhost_passkeys_have_a_name_and_the_ip_may_still_log_in(
    tmp_path: Path,
) -> None:
    # The demo's default host: WebAuthn takes no IP address as relying party.
    settings = demo_settings(data_dir=tmp_path, host="localhost", port=8123)
    assert settings.issuer == "http://localhost:8123"
    assert settings.allowed_origins == ("http://localhost:8123", "http://127.0.0.1:8123")
