"""Real HTTP on loopback for the guard tests: uvicorn in a thread on port 0, a JWKS endpoint,
token minting with jotauth.jose, hand-forged hostile tokens, a raw-socket client for paths
that httpx would normalise, and ``jotauth serve`` in a subprocess.

A uniquely named module (``conftest`` names clash between test directories).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jotauth.jose import Key, encode

ISSUER = "https://auth.test.example"
AUDIENCE = "lessons"
APP_ORIGIN = "http://app.test.example"
CSRF_SECRET = b"guard-tests-secret-0123456789abcdef0123456789"
VENV_BIN = Path(sys.executable).parent


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


class JwksEndpoint:
    """A JWKS document on loopback whose keys the tests can change."""

    def __init__(self, *keys: Key) -> None:
        self.keys = list(keys)
        self.requests = 0

        async def jwks(request: Request) -> Response:
            self.requests += 1
            document = {"keys": [key.public_jwk() for key in self.keys]}
            return JSONResponse(document, headers={"Cache-Control": "max-age=300"})

        self.app = Starlette(routes=[Route("/.well-known/jwks.json", jwks)])


class Mint:
    """Mints access tokens for the tests' issuer and audience."""

    def __init__(self, key: Key, *, issuer: str = ISSUER, audience: str = AUDIENCE) -> None:
        self.key = key
        self.issuer = issuer
        self.audience = audience

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "user-1",
            "aud": self.audience,
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            "sid": "session-1",
            "scope": "lessons:read",
            "roles": [],
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, *, key: Key | None = None, typ: str | None = "at+jwt", **overrides: Any) -> str:
        return encode(self.claims(**overrides), key or self.key, typ=typ)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def forge(header: Mapping[str, Any], claims: Mapping[str, Any], signature: bytes = b"") -> str:
    """A token with any header and signature (for alg:none and algorithm confusion)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64url(signature)}"


def hs256_with_public_key(rsa_key: Key, claims: Mapping[str, Any]) -> str:
    """The classic RS/HS confusion: HMAC-SHA256 keyed with the RSA public key's PEM."""
    header = {"alg": "HS256", "kid": rsa_key.kid, "typ": "at+jwt"}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    mac = hmac.new(rsa_key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


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


def challenge(response: httpx.Response) -> str:
    return response.headers.get("www-authenticate", "")


# --- jotauth serve in a subprocess --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class AuthServer:
    """A real ``jotauth serve`` on loopback with a fresh SQLite file (production cookies)."""

    SECRET_KEY = "guard-auth-server-secret-0123456789abcdef"
    PASSWORD = "correct horse battery staple"

    def __init__(self, workdir: Path, **overrides: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("JOTAUTH_")}
        env.update(
            {
                "JOTAUTH_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/jotauth.db",
                "JOTAUTH_SECRET_KEY": self.SECRET_KEY,
                "JOTAUTH_ISSUER": self.url,
                "JOTAUTH_AUDIENCE": f'["{AUDIENCE}"]',
                "JOTAUTH_ALLOWED_ORIGINS": f'["{APP_ORIGIN}"]',
                "JOTAUTH_ARGON2_TIME_COST": "1",
                "JOTAUTH_ARGON2_MEMORY_COST": "64",
                "JOTAUTH_LOGIN_ATTEMPTS_PER_IP": "100000",
                "JOTAUTH_REFRESH_GRACE_PERIOD": "2",
                "JOTAUTH_KEY_ROTATION_PERIOD": "0",
                "JOTAUTH_ACCESS_TOKEN_TTL": "60",
                "JOTAUTH_SIGNUP_ENABLED": "true",
                "JOTAUTH_LOG_LEVEL": "warning",
            }
        )
        env.update(overrides)
        self.env = env
        self.log_path = workdir / f"jotauth-serve-{self.port}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    str(VENV_BIN / "jotauth"),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                env=env,
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 30) -> AuthServer:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"jotauth serve exited:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"jotauth serve not ready:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

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


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """The cookie values a response sets (empty string for a cleared cookie)."""
    jar = {}
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        jar[name] = "" if "Max-Age=0" in header else rest.split(";", 1)[0]
    return jar


def cookie_header(jar: Mapping[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items() if value)
