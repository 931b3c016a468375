"""One fake JWKS endpoint: a loopback HTTP server whose every answer the test decides.

``ThreadingHTTPServer`` on 127.0.0.1, port 0, in a daemon thread. The test publishes keys
(``serve_keys``; the ``keys`` list stays live, so appending a key publishes it on the next
fetch) or any raw response (``serve``: status, body, Cache-Control, a ``delay``), reads how
many requests arrived, and can ``stop`` the server to take the endpoint down.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from jotauth.jose import Key

JWKS_PATH = "/.well-known/jwks.json"


class JwksServer:
    """A loopback HTTP server whose JWKS responses the test controls, counting requests."""

    def __init__(self) -> None:
        self.status = 200
        self.body: bytes | None = b'{"keys":[]}'
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        self.keys: list[Key] = []
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
        """Answer 200 with the public JWKS of ``keys`` (and of keys appended to ``keys`` later)."""
        headers = _headers("application/json", cache_control, None)
        with self._lock:
            self.status, self.body, self.headers, self.keys = 200, None, headers, list(keys)

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
        headers = _headers(content_type, cache_control, extra_headers)
        with self._lock:
            self.status, self.body, self.headers = status, body, headers

    @property
    def requests(self) -> int:
        """How many requests reached the endpoint."""
        with self._lock:
            return self._requests

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> JwksServer:
        self._thread.start()
        self._running = True
        return self

    def stop(self) -> None:
        """Close the listening socket: later connections are refused (endpoint down)."""
        if self._running:
            self._httpd.shutdown()
            self._running = False
        self._httpd.server_close()

    def _response(self) -> tuple[int, bytes, dict[str, str], float]:
        with self._lock:
            self._requests += 1
            body = self.body
            if body is None:
                document = {"keys": [key.public_key().public_jwk() for key in self.keys]}
                body = json.dumps(document).encode()
            return self.status, body, dict(self.headers), self.delay

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body, headers, delay = server._response()
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


def _headers(
    content_type: str, cache_control: str | None, extra: dict[str, str] | None
) -> dict[str, str]:
    headers = {"Content-Type": content_type, **(extra or {})}
    if cache_control is not None:
        headers["Cache-Control"] = cache_control
    return headers


@contextmanager
def running_jwks_server() -> Iterator[JwksServer]:
    """A started endpoint, stopped when the block ends."""
    server = JwksServer().start()
    try:
        yield server
    finally:
        server.stop()
