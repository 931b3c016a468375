"""A real JWKS endpoint on loopback for the JWKS client tests (owner: foundation).

``ThreadingHTTPServer`` on 127.0.0.1, port 0, in a thread. The test decides every response
(status, body, Cache-Control, delay), can stop the server to make the endpoint go down, and
reads how many requests arrived.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from jotauth.jose import Key, encode

ISSUER = "https://auth.example.test"
AUDIENCE = "lessons-api"
JWKS_PATH = "/.well-known/jwks.json"


class JwksServer:
    """A loopback HTTP server whose JWKS responses the test controls, counting requests."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b'{"keys":[]}'
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        self.delay = 0.0
        self._requests = 0
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        # A short poll interval keeps shutdown() (up to one interval) from slowing every test.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._running = False
        host, port = self._httpd.server_address[:2]
        self.url = f"http://{host!s}:{port}{JWKS_PATH}"

    # --- what the endpoint answers -------------------------------------------------------

    def serve_keys(self, keys: Sequence[Key], *, cache_control: str | None = None) -> None:
        """Answer 200 with the public JWKS of ``keys``."""
        document = {"keys": [key.public_key().public_jwk() for key in keys]}
        self.serve(200, json.dumps(document).encode(), cache_control=cache_control)

    def serve(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str = "application/json",
        cache_control: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        """Answer every request with exactly this response."""
        headers = {"Content-Type": content_type, **(extra_headers or {})}
        if cache_control is not None:
            headers["Cache-Control"] = cache_control
        with self._lock:
            self.status, self.body, self.headers = status, body, headers

    @property
    def requests(self) -> int:
        """How many requests reached the endpoint."""
        with self._lock:
            return self._requests

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._running = True

    def stop(self) -> None:
        """Close the listening socket: later connections are refused (endpoint down)."""
        if self._running:
            self._httpd.shutdown()
            self._running = False
        self._httpd.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server._lock:
                    server._requests += 1
                    status, body, headers = server.status, server.body, dict(server.headers)
                    delay = server.delay
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        return Handler


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    """A started loopback JWKS endpoint, stopped after the test."""
    server = JwksServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Clock:
    """A settable monotonic clock for the JWKS clients' cache and rate limit."""

    def __init__(self, now: float = 10_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def remote_keys() -> dict[str, Key]:
    """Keys the endpoint may publish: 'a' and 'b' (ES256), 'c' (EdDSA), 'r' (RS256)."""
    return {
        "a": Key.generate("ES256", kid="key-a"),
        "b": Key.generate("ES256", kid="key-b"),
        "c": Key.generate("EdDSA", kid="key-c"),
        "r": Key.generate("RS256", kid="key-r"),
    }


def access_claims(**overrides: Any) -> dict[str, Any]:
    """Valid access-token claims at the real current time (the verifier's wall clock)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "user-42",
        "aud": AUDIENCE,
        "exp": now + 900,
        "iat": now,
    }
    claims.update(overrides)
    return claims


@pytest.fixture
def token_for() -> Callable[..., str]:
    """``token_for(key, kid=None, **claims)``: a valid access token signed by ``key``,
    optionally claiming another ``kid`` in its header."""

    def make(key: Key, kid: str | None = None, **overrides: Any) -> str:
        signer = key if kid is None else Key.from_jwk(key.private_jwk() | {"kid": kid})
        return encode(access_claims(**overrides), signer)

    return make
