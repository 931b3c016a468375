"""Serves the example SPA: its three files, the oidc-client-ts bundle and ``/config.json``.

Standard library only (it is an example of the browser side, not of a Python server). Every
client route (``/``, ``/callback``, ``/signed-out``) gets ``index.html``; the CSP allows
scripts from this origin only and network requests to it and to the provider.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
LIBRARY_BUNDLE = (
    HERE / "node_modules" / "oidc-client-ts" / "dist" / "browser" / "oidc-client-ts.min.js"
)
_ROUTES = ("/", "/callback", "/signed-out")
_FILES = {
    "/app.js": (STATIC / "app.js", "text/javascript; charset=utf-8"),
    "/app.css": (STATIC / "app.css", "text/css; charset=utf-8"),
    "/oidc-client-ts.js": (LIBRARY_BUNDLE, "text/javascript; charset=utf-8"),
}


@dataclass(frozen=True)
class SpaConfig:
    """What the SPA needs to know: the provider and its registered public client id."""

    authority: str
    client_id: str
    scope: str = "openid email profile offline_access"

    def provider_origin(self) -> str:
        """``scheme://host[:port]`` of the provider (the CSP's connect-src)."""
        parts = urlsplit(self.authority)
        return f"{parts.scheme}://{parts.netloc}"


def ensure_library(*, timeout: float = 300) -> Path:
    """The oidc-client-ts browser bundle, installed from this directory's lockfile once."""
    if not LIBRARY_BUNDLE.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is required to install oidc-client-ts (scripts/bootstrap.sh)")
        subprocess.run(  # noqa: S603 (npm from PATH with fixed arguments)
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=HERE,
            check=True,
            timeout=timeout,
        )
    return LIBRARY_BUNDLE


def spa_server(host: str, port: int, config: SpaConfig) -> ThreadingHTTPServer:
    """A bound (not yet serving) HTTP server for the SPA; ``port=0`` picks a free one."""
    server = ThreadingHTTPServer((host, port), _Handler)
    server.spa_config = config  # type: ignore[attr-defined]
    return server


def start_spa(host: str, port: int, config: SpaConfig) -> ThreadingHTTPServer:
    """:func:`spa_server`, serving in a daemon thread (stop it with ``shutdown()``)."""
    server = spa_server(host, port, config)
    threading.Thread(target=server.serve_forever, name="oidc-spa", daemon=True).start()
    return server


class _Handler(BaseHTTPRequestHandler):
    server_version = "oidc-spa"
    sys_version = ""

    def do_GET(self) -> None:
        config: SpaConfig = self.server.spa_config  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        if path in _ROUTES:
            self._send(200, (STATIC / "index.html").read_bytes(), "text/html; charset=utf-8")
        elif path == "/config.json":
            body = {
                "authority": config.authority,
                "client_id": config.client_id,
                "scope": config.scope,
            }
            self._send(200, json.dumps(body).encode(), "application/json")
        elif path in _FILES and _FILES[path][0].is_file():
            file, media_type = _FILES[path]
            self._send(200, file.read_bytes(), media_type)
        elif path in _FILES:
            self._send(
                503,
                b"oidc-client-ts is not installed: run `npm ci` in examples/oidc_spa",
                "text/plain",
            )
        else:
            self._send(404, b"not found", "text/plain")

    def _send(self, status: int, body: bytes, media_type: str) -> None:
        config: SpaConfig = self.server.spa_config  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        # Scripts from this origin only; fetches to it (config) and to the provider (token,
        # userinfo, discovery, JWKS). The tokens never leave for anywhere else.
        self.send_header(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; "
            f"connect-src 'self' {config.provider_origin()}; img-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        )
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the demo's console belongs to the auth server."""
