"""``jotauth doctor``: each finding against real parts — a SQLite file, PostgreSQL, Redis and an
SMTP server (aiosmtpd) on loopback — with the fix it prints and its exit status."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from jotauth.cli import main
from tests.support.ports import free_port

SECRET = "doctor-test-secret-0123456789abcdefghijklmnop"
GOOD = {
    "JOTAUTH_SECRET_KEY": SECRET,
    "JOTAUTH_ISSUER": "https://auth.example.com",
    "JOTAUTH_ALLOWED_ORIGINS": "https://app.example.com",
}


def doctor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[int, str]:
    for name in [n for n in os.environ if n.startswith("JOTAUTH_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def lines(output: str, level: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(level)]


@pytest.fixture
def migrated(tmp_path: Path) -> str:
    """A SQLite database migrated by an admin command, as a deployment has it."""
    url = f"sqlite+aiosqlite:///{tmp_path}/jotauth.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOTAUTH_")}
    env.update({"JOTAUTH_DATABASE_URL": url, "JOTAUTH_SECRET_KEY": SECRET})
    from tests.support.serve import JOTAUTH

    done = subprocess.run(
        [JOTAUTH, "users", "list"], env=env, cwd=tmp_path, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return url


@pytest.fixture
def smtp_server() -> Iterator[int]:
    controller = Controller(object(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def test_a_sound_production_configuration_has_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated: str
) -> None:
    status, output = doctor(tmp_path, monkeypatch, **GOOD, JOTAUTH_DATABASE_URL=migrated)
    assert status == 0, output
    assert lines(output, "ERROR") == [] and lines(output, "warning") == []
    for topic in ("secret key", "issuer", "cookies/TLS", "allowed origins", "database"):
        assert any(topic in line for line in lines(output, "ok")), (topic, output)
    assert "reachable, migrated" in output
    assert SECRET not in output


def test_each_unsafe_setting_is_an_error_with_its_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, output = doctor(
        tmp_path,
        monkeypatch,
        JOTAUTH_SECRET_KEY="too-short",
        JOTAUTH_ISSUER="http://auth.example.com",
        JOTAUTH_ALLOWED_ORIGINS="https://app.example.com/callback,http://plain.example.com",
    )
    assert status == 1
    errors = "\n".join(lines(output, "ERROR"))
    assert "at least 32 characters" in errors
    assert "http://auth.example.com is plain HTTP" in errors
    assert "'https://app.example.com/callback' is not an origin" in errors
    assert "http://plain.example.com is plain HTTP" in "\n".join(lines(output, "warning"))
    assert "fix: export JOTAUTH_SECRET_KEY=" in output
    assert output.rstrip().endswith("warning(s)") and "3 error(s)" in output
    assert not (tmp_path / "jotauth.db").exists()  # a check writes nothing


def test_without_a_secret_outside_dev_and_with_dev(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, output = doctor(tmp_path, monkeypatch)
    assert status == 1 and "JOTAUTH_SECRET_KEY is not set" in output
    assert "not configured: the default http://127.0.0.1:8000" in output
    assert "does not exist yet" in output
    status, output = doctor(tmp_path, monkeypatch, JOTAUTH_DEV="1")
    assert status == 0, output
    assert "--dev uses a built-in secret" in output and "jot_access" in output


@pytest.mark.postgres
def test_an_unreachable_or_missing_postgresql_database_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nobody = f"postgresql+asyncpg://postgres:hunter2@127.0.0.1:{free_port()}/jotauth"
    status, output = doctor(tmp_path, monkeypatch, **GOOD, JOTAUTH_DATABASE_URL=nobody)
    assert status == 1 and "cannot use postgresql+asyncpg://postgres:***@" in output
    assert "hunter2" not in output
    missing = "postgresql+asyncpg://postgres@127.0.0.1:5432/jotauth_doctor_no_such_db"
    status, output = doctor(tmp_path, monkeypatch, **GOOD, JOTAUTH_DATABASE_URL=missing)
    assert status == 1 and 'database "jotauth_doctor_no_such_db" does not exist' in output


@pytest.mark.redis
def test_redis_is_pinged_when_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated: str
) -> None:
    env = {**GOOD, "JOTAUTH_DATABASE_URL": migrated}
    status, output = doctor(
        tmp_path, monkeypatch, **env, JOTAUTH_REDIS_URL="redis://127.0.0.1:6379/0"
    )
    assert status == 0 and "127.0.0.1:6379: PING answered" in output
    down = f"redis://127.0.0.1:{free_port()}/0"
    status, output = doctor(tmp_path, monkeypatch, **env, JOTAUTH_REDIS_URL=down)
    assert status == 1 and "no answer from 127.0.0.1:" in output and "fix: start Redis" in output


def test_smtp_gets_a_connect_and_ehlo_when_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated: str, smtp_server: int
) -> None:
    env = {**GOOD, "JOTAUTH_DATABASE_URL": migrated}
    url = f"smtp://mailer:s3cret@127.0.0.1:{smtp_server}"
    status, output = doctor(tmp_path, monkeypatch, **env, JOTAUTH_SMTP_URL=url)
    assert status == 0, output
    assert f"127.0.0.1:{smtp_server}: EHLO answered" in output and "s3cret" not in output
    # aiosmtpd offers no STARTTLS without a TLS context: asked for, it is an error
    status, output = doctor(
        tmp_path,
        monkeypatch,
        **env,
        JOTAUTH_SMTP_URL=f"smtp://127.0.0.1:{smtp_server}?starttls=true",
    )
    assert status == 1 and "does not offer STARTTLS" in output
    status, output = doctor(
        tmp_path, monkeypatch, **env, JOTAUTH_SMTP_URL=f"smtp://127.0.0.1:{free_port()}"
    )
    assert status == 1 and "no SMTP server at 127.0.0.1:" in output
    status, output = doctor(tmp_path, monkeypatch, **env, JOTAUTH_SMTP_URL="http://mail.example")
    assert status == 1 and "is not smtp://host:port" in output
