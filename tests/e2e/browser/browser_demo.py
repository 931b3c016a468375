"""What the browser tests share besides fixtures: accounts, paths, the page helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Page

from tests.support.ports import free_port
from tests.support.serve import JOTAUTH, stop_process, wait_until_ready

REPO_ROOT = Path(__file__).resolve().parents[3]
APP_DIR = REPO_ROOT / "clients" / "demo" / "dist" / "demo" / "browser"
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Short enough that a test can outlive a token, long enough for a login round trip.
ACCESS_TOKEN_TTL = 10  # the smallest the settings allow
USER = ("user@example.com", "jot-demo-reader-42")
ADMIN = ("admin@example.com", "jot-demo-keeper-42")


@dataclass(frozen=True)
class DemoServer:
    """A running demo composition."""

    url: str
    data_dir: Path
    log: Path
    spa_url: str  # the second app (examples/oidc_spa) on another origin

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``jotauth ARGS`` against the demo's store (its database and secret key)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("JOTAUTH_")}
        env["JOTAUTH_DATABASE_URL"] = f"sqlite+aiosqlite:///{self.data_dir / 'jotauth.db'}"
        env["JOTAUTH_SECRET_KEY"] = (self.data_dir / "secret.key").read_text().strip()
        env["JOTAUTH_ISSUER"] = self.url
        return subprocess.run(
            [JOTAUTH, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )


@contextmanager
def running_demo(
    app_dir: Path,
    data_dir: Path,
    *,
    port: int | None = None,
    host: str = "127.0.0.1",
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = ("--spa-port", "0"),
) -> Iterator[DemoServer]:
    """``python -m jotauth_demo`` (as a user starts it) on ``host``:``port`` (default: a free
    port) with cheap argon2 and ``env`` on top; ``args`` go to the command (default: no
    second app)."""
    log = data_dir / "server.log"
    port = port or free_port()
    full_env = {
        **os.environ,
        "JOTAUTH_ARGON2_TIME_COST": "1",
        "JOTAUTH_ARGON2_MEMORY_COST": "64",
        # The demo and the lessons API are repository code beside the library.
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPO_ROOT / "examples"), os.environ.get("PYTHONPATH")])
        ),
        **(env or {}),
    }
    command = [sys.executable, "-m", "jotauth_demo", "--host", host, "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--app-dir", str(app_dir), *args]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=data_dir, env=full_env, stdout=out, stderr=out)
    url = f"http://{host}:{port}"
    spa_port = args[args.index("--spa-port") + 1] if "--spa-port" in args else "8001"
    try:
        wait_until_ready(process, f"{url}/healthz", log, timeout=60)
        spa_url = f"http://{host}:{spa_port}" if spa_port != "0" else ""
        yield DemoServer(url=url, data_dir=data_dir, log=log, spa_url=spa_url)
    finally:
        stop_process(process)


class ForeignPageHandler(BaseHTTPRequestHandler):
    """Serves whatever HTML the test put in ``server.page``."""

    def do_GET(self) -> None:
        body = getattr(self.server, "page", "<!doctype html><title>empty</title>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@dataclass
class ForeignOrigin:
    """A page on another origin (another loopback port) whose HTML a test can set."""

    url: str
    server: ThreadingHTTPServer

    def serve(self, html: str) -> None:
        """Make ``GET /`` answer with ``html``."""
        self.server.page = html  # type: ignore[attr-defined]


class SignIn:
    """Signs a page in through the demo's login form, the way a person would."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def __call__(self, page: Page, account: tuple[str, str] = USER, *, query: str = "") -> None:
        """Open /signin, submit the form, wait for the lessons list."""
        page.goto(f"{self.base_url}/signin{query}")
        self.submit(page, account)
        page.wait_for_url("**/lessons")
        page.locator("[data-test=lesson]").first.wait_for()

    def submit(self, page: Page, account: tuple[str, str]) -> None:
        """Fill in and submit the login form on the current page."""
        page.fill("input[name=email]", account[0])
        page.fill("input[name=password]", account[1])
        page.click("button[type=submit]")
