"""What each pip extra promises, checked on the built wheel in fresh venvs (issue 16).

``pip install jotauth`` is the verifier, JOSE and the offline CLI; ``[server]`` serves from an
empty folder; ``[fastapi]`` and ``[flask]`` import their guards; a missing extra is one line
naming it, for every command and for the guard imports.
"""

from __future__ import annotations

import email.parser
import json
import subprocess
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.e2e.packaging.conftest import EXTRAS, Dists, Venv
from tests.support.ports import free_port
from tests.support.serve import stop_process, wait_until_ready

SERVER_COMMANDS = (
    ("serve", "--dev"),
    ("doctor",),
    ("users", "list"),
    ("sessions", "list"),
    ("clients", "list"),
    ("keys", "list", "--dev"),
    ("keys", "rotate"),
)
NEEDS_SERVER = "pip install 'jotauth[server]'"


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(archive.read(name).decode())


def test_the_wheel_declares_the_extras_and_a_small_base(dists: Dists) -> None:
    metadata = _metadata(dists.wheel)
    assert set(EXTRAS) <= set(metadata.get_all("Provides-Extra") or [])
    assert "test" not in (metadata.get_all("Provides-Extra") or [])  # a dependency group now
    base = sorted(
        requirement.split(">")[0].split("[")[0].strip()
        for requirement in metadata.get_all("Requires-Dist") or []
        if "extra ==" not in requirement
    )
    assert base == ["click", "cryptography", "httpx", "pybase64"]
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("Project-URL") and metadata.get_all("Classifier")
    with zipfile.ZipFile(dists.wheel) as archive:
        names = archive.namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "jotauth/py.typed" in names
    assert any(n.startswith("jotauth/server/templates/") for n in names)
    assert any(n.startswith("jotauth/store/migrations/versions/") for n in names)
    assert not any(n.startswith(("tests/", "examples/", "jotauth_demo/")) for n in names)


def test_the_sdist_carries_the_license_and_readme(dists: Dists) -> None:
    with tarfile.open(dists.sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml"} <= names
    assert "Apache License" in (Path(__file__).resolve().parents[3] / "LICENSE").read_text()


def test_the_base_install_verifies_tokens_offline(
    install: Callable[[str], Venv], tmp_path: Path
) -> None:
    base = install("")
    help_text = base.jotauth("--help")
    assert help_text.returncode == 0, help_text.stderr
    # Every command is listed, the ones needing the server say so instead of vanishing.
    for command in ("doctor", "keys", "serve", "token", "users"):
        assert command in help_text.stdout
    assert NEEDS_SERVER in help_text.stdout

    key = base.jotauth("keys", "generate", "--alg", "ES256", "--out", str(tmp_path / "k.pem"))
    assert key.returncode == 0, key.stderr
    script = f"""
import json, time
from pathlib import Path
from jotauth.jose import Key, encode
key = Key.from_pem(Path({str(tmp_path / "k.pem")!r}).read_bytes(), "ES256")
Path({str(tmp_path / "pub.json")!r}).write_text(json.dumps(key.public_jwk()))
now = int(time.time())
print(encode({{"iss": "https://auth.example", "aud": "api", "sub": "u1", "exp": now + 60,
              "iat": now}}, key))
"""
    minted = base.python(script)
    assert minted.returncode == 0, minted.stderr
    token = minted.stdout.strip()
    decoded = base.jotauth("token", "decode", token)
    assert decoded.returncode == 0 and json.loads(decoded.stdout)["claims"]["sub"] == "u1"
    verified = base.jotauth(
        "token", "verify", token, "--key", str(tmp_path / "pub.json"),
        "--iss", "https://auth.example", "--aud", "api", "--alg", "ES256",
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    wrong = base.jotauth(
        "token", "verify", token, "--key", str(tmp_path / "pub.json"),
        "--iss", "https://auth.example", "--aud", "other", "--alg", "ES256",
    )  # fmt: skip
    assert wrong.returncode == 1 and "bad_audience" in wrong.stderr


@pytest.mark.parametrize("command", SERVER_COMMANDS, ids=" ".join)
def test_a_command_of_a_missing_extra_is_one_line_naming_it(
    install: Callable[[str], Venv], command: tuple[str, ...], tmp_path: Path
) -> None:
    result = install("").jotauth(*command, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"jotauth {command[0]} needs the 'server' extra: {NEEDS_SERVER}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("module", "extra"), [("fastapi", "fastapi"), ("flask", "flask")])
def test_a_guard_import_of_a_missing_extra_names_it(
    install: Callable[[str], Venv], module: str, extra: str
) -> None:
    result = install("").python(f"import jotauth.guard.{module}")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    message = f"jotauth.guard.{module} needs the '{extra}' extra: pip install 'jotauth[{extra}]'"
    assert last == f"jotauth.extras.MissingExtra: {message}"
    # Raised "from None": the guard's own line, not a chain through the framework's import.
    assert "During handling" not in result.stderr and "direct cause" not in result.stderr
    # Still a ModuleNotFoundError, for code that falls back when a framework is absent.
    caught = install("").python(
        f"try:\n    import jotauth.guard.{module}\nexcept ModuleNotFoundError as e:\n    print(e)"
    )
    assert caught.stdout.strip() == message


def test_the_asgi_middleware_needs_no_extra(install: Callable[[str], Venv]) -> None:
    result = install("").python("from jotauth import JWTAuthMiddleware, TokenVerifier")
    assert result.returncode == 0, result.stderr


def test_the_fastapi_extra_imports_the_guard(install: Callable[[str], Venv]) -> None:
    fastapi = install("fastapi")
    result = fastapi.python(
        "from jotauth.guard.fastapi import CurrentUser, JWTBearer, require_scopes\n"
        "import importlib.util as u\n"
        "print([m for m in ('sqlalchemy', 'argon2', 'uvicorn', 'flask') if u.find_spec(m)])"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"  # the guard alone, not the server's stack


def test_the_flask_extra_imports_the_extension(install: Callable[[str], Venv]) -> None:
    result = install("flask").python(
        "from jotauth.guard.flask import JotAuth, jwt_required\n"
        "import importlib.util as u\n"
        "print([m for m in ('sqlalchemy', 'fastapi') if u.find_spec(m)])"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_server_extra_serves_from_an_empty_folder(
    install: Callable[[str], Venv], tmp_path: Path
) -> None:
    server = install("server")
    port = free_port()
    log_path = tmp_path / "serve.log"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no JOTAUTH_* of the caller
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(server.bin / "jotauth"), "serve", "--dev", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}/.well-known/jwks.json"
        wait_until_ready(process, url, log_path, timeout=120)  # a loaded machine
        keys = httpx.get(url).json()["keys"]
        assert keys and all(k["kty"] and k["kid"] for k in keys)
        # The admin commands reach the same database with --dev.
        listed = server.jotauth("keys", "list", "--dev", "--json", cwd=tmp_path, env=env)
        assert listed.returncode == 0, listed.stderr
        assert {k["kid"] for k in json.loads(listed.stdout)} >= {k["kid"] for k in keys}
    finally:
        stop_process(process)
    assert (tmp_path / "jotauth.db").exists()
    # PostgreSQL without its extra: one line, before anything starts.
    no_driver = server.jotauth(
        "serve", "--dev", cwd=tmp_path,
        env={**env, "JOTAUTH_DATABASE_URL": "postgresql+asyncpg://u@127.0.0.1:1/db"},
    )  # fmt: skip
    assert no_driver.returncode == 1 and no_driver.stderr.count("\n") == 1, no_driver.stderr
    assert "needs the 'postgres' extra: pip install 'jotauth[postgres]'" in no_driver.stderr


@pytest.mark.postgres
@pytest.mark.redis
def test_the_driver_extras_reach_postgresql_and_redis(
    install: Callable[[str], Venv], tmp_path: Path
) -> None:
    drivers = install("server,postgres,redis")
    env = {
        "PATH": "/usr/bin:/bin",
        "JOTAUTH_DEV": "1",
        "JOTAUTH_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        "JOTAUTH_REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    result = drivers.jotauth("doctor", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "127.0.0.1:5432/postgres" in result.stdout
    assert "PING answered" in result.stdout
