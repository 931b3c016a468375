"""What the browser tests share besides fixtures: accounts, paths, the page helpers."""

from __future__ import annotations

from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Page

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
