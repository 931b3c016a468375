"""``jotauth serve`` in a subprocess on loopback, and a cookie-jar client that shows raw flags.

Imported by the tests of this directory (a uniquely named module, since ``conftest`` names
clash between test directories).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

VENV_BIN = Path(sys.executable).parent
JOTAUTH = str(VENV_BIN / "jotauth")
POSTGRES_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
SECRET_KEY = "e2e-secret-key-0123456789abcdef0123456789"
PASSWORD = "correct horse battery staple"
APP_ORIGIN = "http://app.localhost:4200"
METRICS_TOKEN = "e2e-metrics-token-0123456789"


def free_port() -> int:
    """A TCP port that was free a moment ago (the server binds it right after)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(database_url: str, port: int, **overrides: str) -> dict[str, str]:
    """The environment of a test server: cheap argon2, short grace and JWKS cache period."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOTAUTH_")}
    env.update(
        {
            "JOTAUTH_DATABASE_URL": database_url,
            "JOTAUTH_SECRET_KEY": SECRET_KEY,
            "JOTAUTH_ISSUER": f"http://127.0.0.1:{port}",
            "JOTAUTH_AUDIENCE": '["lessons"]',
            "JOTAUTH_ALLOWED_ORIGINS": f'["{APP_ORIGIN}"]',
            "JOTAUTH_ARGON2_TIME_COST": "1",
            "JOTAUTH_ARGON2_MEMORY_COST": "64",
            "JOTAUTH_LOGIN_ATTEMPTS_PER_IP": "100000",
            "JOTAUTH_LOGIN_ATTEMPTS_PER_ACCOUNT": "1000",
            "JOTAUTH_REFRESH_GRACE_PERIOD": "3",
            "JOTAUTH_JWKS_MAX_AGE": "2",
            "JOTAUTH_KEY_ROTATION_PERIOD": "0",
            "JOTAUTH_ACCESS_TOKEN_TTL": "60",
            "JOTAUTH_SIGNUP_ENABLED": "true",
            "JOTAUTH_LOG_LEVEL": "warning",
            "JOTAUTH_METRICS_TOKEN": METRICS_TOKEN,
        }
    )
    env.update(overrides)
    return env


class ServerProcess:
    """A running ``jotauth serve``; ``url`` is its base URL."""

    def __init__(self, env: Mapping[str, str], port: int, workdir: Path, *args: str) -> None:
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

    def wait_ready(self, timeout: float = 30) -> None:
        """Block until ``/readyz`` answers 200; fail with the server log otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not ready in {timeout}s:\n{self.log()}")

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
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def running_server(database_url: str, workdir: Path, **overrides: str) -> Iterator[ServerProcess]:
    """Start a server on a fresh port and stop it afterwards."""
    port = free_port()
    server = ServerProcess(server_env(database_url, port, **overrides), port, workdir)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A newly created PostgreSQL database (dropped afterwards), as a SQLAlchemy URL."""
    import asyncpg

    name = f"jotauth_e2e_{secrets.token_hex(6)}"

    async def execute(statement: str) -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class Browser:
    """An HTTP client with a cookie jar that ignores ``Secure`` (like a browser on localhost).

    The raw ``Set-Cookie`` headers of the last response stay inspectable, so the tests can
    assert the exact flags the server sent.
    """

    def __init__(self, base_url: str, http: httpx.AsyncClient | None = None) -> None:
        self.base_url = base_url
        self.http = http or httpx.AsyncClient(base_url=base_url, timeout=30)
        self.jar: dict[str, str] = {}

    async def request(
        self, method: str, path: str, *, headers: Mapping[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        """Send with the jar's cookies; apply the response's ``Set-Cookie`` headers."""
        all_headers = dict(headers or {})
        if self.jar and "Cookie" not in all_headers:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        response = await self.http.request(method, path, headers=all_headers, **kw)
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in header or not value:
                self.jar.pop(name, None)
            else:
                self.jar[name] = value
        return response

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("POST", path, **kw)

    async def delete(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kw)

    def xsrf(self) -> dict[str, str]:
        """The header an SPA copies from the ``XSRF-TOKEN`` cookie."""
        return {"X-XSRF-TOKEN": self.jar.get("XSRF-TOKEN", "")}

    async def aclose(self) -> None:
        await self.http.aclose()


def set_cookie_flags(response: httpx.Response) -> dict[str, str]:
    """``Set-Cookie`` by cookie name with the value and the Expires date blanked out."""
    flags = {}
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        attributes = [p for p in rest.split("; ")[1:] if not p.startswith(("Expires=", "Max-Age="))]
        flags[name] = "; ".join(attributes)
    return flags


async def signup(base_url: str, email: str, password: str = PASSWORD) -> None:
    """Create an account through the public API (sign-up is enabled in the test settings)."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            "/api/auth/signup", json={"email": email, "password": password, "delivery": "body"}
        )
        assert response.status_code == 200, response.text


def unique_email(label: str) -> str:
    """A fresh account name per test (the server is shared by a module)."""
    return f"{label}-{secrets.token_hex(4)}@example.org"
