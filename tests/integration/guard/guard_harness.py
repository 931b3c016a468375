"""Real HTTP on loopback for the guard tests: uvicorn in a thread on port 0, a raw-socket
client for paths that httpx would normalise, and ``jotauth serve`` with the guard tests'
settings. Tokens, cookies, the JWKS endpoint and the server process are ``tests.support``.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from tests.support.ports import free_port
from tests.support.serve import ServerProcess, serve_env

ISSUER = "https://auth.test.example"
AUDIENCE = "lessons"
APP_ORIGIN = "http://app.test.example"
CSRF_SECRET = b"guard-tests-secret-0123456789abcdef0123456789"


class ServedApp:
    """An ASGI app served by uvicorn on 127.0.0.1:<free port> in a background thread."""

    def __init__(self, app: Any, **config: Any) -> None:
        options: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": 0,
            "log_level": "warning",
            "lifespan": "on",
        }
        options.update(config)
        self.server = uvicorn.Server(uvicorn.Config(app, **options))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServedApp:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise AssertionError("uvicorn did not start")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@contextmanager
def served(app: Any, **config: Any) -> Iterator[ServedApp]:
    """Serve ``app`` for the duration of the block."""
    server = ServedApp(app, **config).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def served_wsgi(app: Any) -> Iterator[str]:
    """Serve a WSGI ``app`` (werkzeug, threaded) on loopback; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def raw_request(port: int, request_line: str, headers: Mapping[str, str] = {}) -> tuple[int, bytes]:
    """Send one HTTP/1.1 request byte for byte (no client-side path normalisation)."""
    lines = [request_line, f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(payload)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks)
    status = int(response.split(b" ", 2)[1])
    return status, response.split(b"\r\n\r\n", 1)[1]


# --- jotauth serve in a subprocess --------------------------------------------------------


class AuthServer(ServerProcess):
    """A real ``jotauth serve`` on loopback with a fresh SQLite file (production cookies)."""

    SECRET_KEY = "guard-auth-server-secret-0123456789abcdef"
    PASSWORD = "correct horse battery staple"

    def __init__(self, workdir: Path, **overrides: str) -> None:
        port = free_port()
        env = serve_env(
            f"sqlite+aiosqlite:///{workdir}/jotauth.db",
            port,
            secret_key=self.SECRET_KEY,
            allowed_origin=APP_ORIGIN,
            **{"JOTAUTH_REFRESH_GRACE_PERIOD": "2"} | overrides,
        )
        super().__init__(env, port, workdir)

    def signup(self, *, delivery: str = "cookie") -> httpx.Response:
        """A new account, logged in; cookie delivery unless told otherwise."""
        email = f"guard-{secrets.token_hex(4)}@example.org"
        response = httpx.post(
            f"{self.url}/api/auth/signup",
            json={"email": email, "password": self.PASSWORD, "delivery": delivery},
            timeout=30,
        )
        assert response.status_code in (200, 204), response.text
        return response
