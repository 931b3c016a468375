"""Fixtures of the deployment tests: a local CA, Chromium that trusts its certificate only.

Chromium resolves every ``*.localhost`` name to loopback, so ``auth.example.localhost`` and
``app.example.localhost`` are two real sites of one registrable domain on this machine.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.browser.browser_demo import CHROMIUM, CHROMIUM_ARGS, REPO_ROOT
from tests.e2e.deploy.proxy import LocalTLS, Nginx
from tests.support.serve import JOTAUTH, ServerProcess

AUTH_HOST = "auth.example.localhost"
APP_HOST = "app.example.localhost"
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots" / "deploy"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> LocalTLS:
    """A certificate for both host names (and 127.0.0.1, for httpx) from a CA made for this run."""
    return LocalTLS.issue(tmp_path_factory.mktemp("tls"), AUTH_HOST, APP_HOST, "127.0.0.1")


@pytest.fixture(scope="module")
def browser(tls: LocalTLS) -> Iterator[Browser]:
    """Debian's Chromium, accepting exactly the test certificate (pinned by its key hash).

    Module-scoped: Playwright's sync API keeps an event loop running while it is open.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/bootstrap.sh")
    args = [*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={tls.spki_sha256}"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield browser
        browser.close()


@pytest.fixture
def screenshots() -> Path:
    """Where the deployment tests keep their screenshots (gitignored artefacts)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def add_user(server: ServerProcess, email: str, password: str) -> None:
    """Create a user with the CLI, against the server's own settings."""
    added = subprocess.run(
        [JOTAUTH, "users", "add", email, "--password-stdin"],
        input=password + "\n",
        env=server.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert added.returncode == 0, added.stderr


def start_proxy(
    folder: Path, port: int, tls: LocalTLS, auth_ports: tuple[int, int], app_port: int
) -> Nginx:
    """nginx on ``port`` for both hosts: two auth upstreams (may be one twice) and the app."""
    return Nginx(
        folder,
        port,
        AUTH_HOST=AUTH_HOST,
        APP_HOST=APP_HOST,
        TLS_CERT=str(tls.cert),
        TLS_KEY=str(tls.key),
        AUTH_UPSTREAM_1=f"127.0.0.1:{auth_ports[0]}",
        AUTH_UPSTREAM_2=f"127.0.0.1:{auth_ports[1]}",
        APP_UPSTREAM=f"127.0.0.1:{app_port}",
    )
