"""The ``jotauth`` command: groups load only when used, ``keys`` is one group, ``demo`` points home.

The lazy-loading checks run the real console entry point in a fresh interpreter, since this test
process has long imported SQLAlchemy and FastAPI for other tests.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from jotauth.cli import main

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

# Runs `jotauth ARGS…` like the console script, then reports which heavy packages it imported.
_PROBE = """
import json, sys
from jotauth.cli import main
try:
    main(sys.argv[1:], prog_name="jotauth")
except SystemExit:
    pass
roots = {"sqlalchemy", "fastapi", "starlette", "uvicorn", "argon2", "alembic"}
heavy = sorted(
    name for name in sys.modules
    if name.split(".")[0] in roots and "." not in name or name == "jotauth.store"
)
print("LOADED=" + json.dumps(heavy), file=sys.stderr)
"""


def _segment(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _run(*args: str, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def _loaded(result: subprocess.CompletedProcess[str]) -> list[str]:
    line = next(line for line in result.stderr.splitlines() if line.startswith("LOADED="))
    loaded: list[str] = json.loads(line.removeprefix("LOADED="))
    return loaded


def test_token_decode_does_not_import_the_server_or_the_store() -> None:
    token = f"{_segment({'alg': 'RS256', 'typ': 'JWT'})}.{_segment({'sub': '42'})}.c2ln"
    result = _run("token", "decode", token)
    assert json.loads(result.stdout)["claims"] == {"sub": "42"}
    assert _loaded(result) == []


def test_keys_generate_works_offline_without_the_store() -> None:
    result = _run("keys", "generate", "--alg", "ES256")
    assert json.loads(result.stdout)["kty"] == "EC"
    assert _loaded(result) == []


def test_keys_is_one_group_with_offline_and_store_commands() -> None:
    result = CliRunner().invoke(main, ["keys", "--help"])
    assert result.exit_code == 0
    commands = result.output.split("Commands:", 1)[1].split()
    assert {"generate", "list", "rotate", "revoke"} <= set(commands)


def test_every_command_group_is_listed() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = {
        line.split()[0]
        for line in result.output.split("Commands:", 1)[1].splitlines()
        if line.strip()
    }
    assert listed == {
        "clients",
        "demo",
        "doctor",
        "keys",
        "providers",
        "serve",
        "sessions",
        "token",
        "users",
    }


def test_demo_outside_a_clone_says_how_to_run_it() -> None:
    result = _run("demo", "--port", "8001")
    assert "run `make demo` (or scripts/demo.sh)" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_with_the_examples_on_the_path_is_the_real_command() -> None:
    result = _run("demo", "--help", pythonpath=EXAMPLES)
    assert "--data-dir" in result.stdout
    assert "--lessons-api" in result.stdout


def test_an_invalid_setting_is_one_line_naming_it_never_a_traceback(monkeypatch) -> None:
    monkeypatch.setenv("JOTAUTH_ACCESS_TOKEN_TTL", "soon")
    for args in (["serve", "--dev"], ["users", "list"], ["keys", "list"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, (args, result.output)
        lines = result.output.strip().splitlines()
        assert lines == [
            "Error: invalid setting access_token_ttl (JOTAUTH_ACCESS_TOKEN_TTL): Input should "
            "be a valid integer, unable to parse string as an integer"
        ], (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
