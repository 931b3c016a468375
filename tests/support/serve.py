"""``jotauth serve`` in a subprocess on loopback, waited for until ready.

The server runs exactly as a user starts it: the installed ``jotauth`` script, settings from
``JOTAUTH_*`` environment variables only (the caller's own ones dropped), output in a log file
that every failure message quotes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Self, TypeVar

import httpx

JOTAUTH = str(Path(sys.executable).parent / "jotauth")


def serve_env(
    database_url: str, port: int, *, secret_key: str, allowed_origin: str, **overrides: str
) -> dict[str, str]:
    """The environment of a test server on ``port``: issuer ``http://127.0.0.1:<port>``,
    audience ``lessons``, cheap argon2, no address throttling, no key rotation, sign-up on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOTAUTH_")}
    env.update(
        {
            "JOTAUTH_DATABASE_URL": database_url,
            "JOTAUTH_SECRET_KEY": secret_key,
            "JOTAUTH_ISSUER": f"http://127.0.0.1:{port}",
            "JOTAUTH_AUDIENCE": '["lessons"]',
            "JOTAUTH_ALLOWED_ORIGINS": f'["{allowed_origin}"]',
            "JOTAUTH_ARGON2_TIME_COST": "1",
            "JOTAUTH_ARGON2_MEMORY_COST": "64",
            "JOTAUTH_LOGIN_ATTEMPTS_PER_IP": "100000",
            "JOTAUTH_KEY_ROTATION_PERIOD": "0",
            "JOTAUTH_ACCESS_TOKEN_TTL": "60",
            "JOTAUTH_SIGNUP_ENABLED": "true",
            "JOTAUTH_LOG_LEVEL": "warning",
        }
    )
    env.update(overrides)
    return env


def wait_until_ready(
    process: subprocess.Popen[bytes], url: str, log_path: Path, *, timeout: float = 90
) -> None:
    """Block until ``url`` answers 200; fail with the server's log if it exits or takes too long.

    90 s, not less: on a shared 2-core machine a cold start (imports, migrations, key
    generation) has taken over 30 s; a slow start is not what these tests are about."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early:\n{log_path.read_text(errors='replace')}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"server not ready in {timeout}s:\n{log_path.read_text(errors='replace')}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate (SIGTERM, the graceful shutdown under test), then SIGKILL after 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class ServerProcess:
    """A started ``jotauth serve`` on 127.0.0.1:``port``; ``url`` is its base URL."""

    def __init__(
        self,
        env: Mapping[str, str],
        port: int,
        workdir: Path,
        *args: str,
    ) -> None:
        self.env = dict(env)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.workdir = workdir
        self.log_path = workdir / f"server-{port}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [JOTAUTH, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
                env=self.env,
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 90) -> Self:
        """Block until ``/readyz`` answers 200; fail with the server log otherwise."""
        wait_until_ready(self.process, f"{self.url}/readyz", self.log_path, timeout=timeout)
        return self

    def log(self) -> str:
        """Everything the server wrote so far."""
        return self.log_path.read_text(errors="replace")

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``jotauth ARGS`` against the same settings (another process, same store)."""
        return subprocess.run(
            [JOTAUTH, *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL)."""
        stop_process(self.process)


Server = TypeVar("Server", bound=ServerProcess)


@contextmanager
def started(server: Server, *, timeout: float = 90) -> Iterator[Server]:
    """Wait until ``server`` is ready, and stop it when the block ends (also on failure)."""
    try:
        yield server.wait_ready(timeout)
    finally:
        server.stop()
