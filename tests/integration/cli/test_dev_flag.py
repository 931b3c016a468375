"""``--dev`` on every command that reads the settings: the admin commands open the database
``jotauth serve --dev`` made, without ``JOTAUTH_DEV=1``; without it they say to add it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from jotauth.cli import main
from tests.support.serve import JOTAUTH

SETTINGS_COMMANDS = (
    ("serve",),
    ("doctor",),
    ("keys", "list"),
    ("keys", "rotate"),
    ("keys", "revoke"),
    ("users", "add"),
    ("users", "list"),
    ("users", "disable"),
    ("users", "enable"),
    ("users", "set-roles"),
    ("users", "import"),
    ("sessions", "list"),
    ("sessions", "revoke"),
    ("clients", "add"),
    ("clients", "list"),
    ("clients", "remove"),
)


def jotauth(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOTAUTH_")}
    env["JOTAUTH_ARGON2_MEMORY_COST"] = "64"
    return subprocess.run(
        [JOTAUTH, *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("command", SETTINGS_COMMANDS, ids=" ".join)
def test_every_settings_command_takes_dev_and_config(command: tuple[str, ...]) -> None:
    shown = CliRunner().invoke(main, [*command, "--help"])
    assert shown.exit_code == 0, shown.output
    assert "--dev" in shown.output and "--config" in shown.output


def test_the_admin_commands_open_a_dev_database_with_dev(tmp_path: Path) -> None:
    added = jotauth(
        "users", "add", "dev@example.org", "--password-stdin", "--dev", cwd=tmp_path,
        stdin="a long enough password\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    rotated = jotauth("keys", "rotate", "--dev", cwd=tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    listed = jotauth("keys", "list", "--dev", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert {k["state"] for k in json.loads(listed.stdout)} >= {"next"}
    for command in (("users", "list"), ("sessions", "list"), ("clients", "list")):
        result = jotauth(*command, "--dev", cwd=tmp_path)
        assert result.returncode == 0, (command, result.stderr)
    assert "dev@example.org" in jotauth("users", "list", "--dev", cwd=tmp_path).stdout


def test_without_dev_a_signing_command_says_to_add_it(tmp_path: Path) -> None:
    result = jotauth("keys", "list", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "JOTAUTH_SECRET_KEY is required outside --dev" in result.stderr
    assert "add --dev to this command" in result.stderr
    assert "Traceback" not in result.stderr
