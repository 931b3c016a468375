"""Fixtures of the browser end-to-end tests: the demo composition, Chromium, a foreign origin.

The demo (`python -m jotauth_demo`, examples/ on the path) runs in a subprocess on a free
loopback port with a fresh SQLite directory, cheap argon2 parameters and a short access-token
lifetime, exactly as a user would start it. Chromium is Debian's (/usr/bin/chromium), driven
by Playwright without downloading any browser.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.e2e.browser.browser_demo import (
    ACCESS_TOKEN_TTL,
    APP_DIR,
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO_ROOT,
    SCREENSHOTS,
    DemoServer,
    ForeignOrigin,
    ForeignPageHandler,
    SignIn,
    running_demo,
)
from tests.support.ports import free_port


@pytest.fixture(scope="session")
def demo_app_dir() -> Path:
    """The production build of the Angular demo, rebuilt only when its inputs changed."""
    result = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "build-demo-app.sh")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not (APP_DIR / "index.html").is_file():
        pytest.fail(
            "Building the Angular demo failed (scripts/build-demo-app.sh; run `make bootstrap` "
            f"first on a fresh clone):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return APP_DIR


@pytest.fixture(scope="session")
def demo_server(
    demo_app_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoServer]:
    """`python -m jotauth_demo` on a free port with a fresh database."""
    data_dir = tmp_path_factory.mktemp("jotauth-demo")
    env = {
        "JOTAUTH_ACCESS_TOKEN_TTL": str(ACCESS_TOKEN_TTL),
        "JOTAUTH_LEEWAY": "0",
        "JOTAUTH_LOGIN_ATTEMPTS_PER_ACCOUNT": "3",
    }
    args = ["--spa-port", str(free_port())]
    if os.environ.get("JOTAUTH_E2E_LESSONS_API"):  # run against another lessons API file
        args += ["--lessons-api", os.environ["JOTAUTH_E2E_LESSONS_API"]]
    with running_demo(demo_app_dir, data_dir, env=env, args=args) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (no browser download).

    Module-scoped on purpose: Playwright's sync API keeps an event loop running while it is
    open, and the async tests that run after these (pytest-asyncio) need the thread's loop.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/bootstrap.sh (installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def foreign_origin() -> Iterator[ForeignOrigin]:
    """A tiny HTTP server on a second loopback port: same site, different origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), ForeignPageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ForeignOrigin(url=f"http://127.0.0.1:{server.server_address[1]}", server=server)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def screenshots() -> Path:
    """Where the tests keep their screenshots (gitignored test artefacts)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def sign_in(demo_server: DemoServer) -> SignIn:
    """A helper that logs a page in with the login form."""
    return SignIn(demo_server.url)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (cookies, storage) per test."""
    context = browser.new_context(viewport={"width": 1100, "height": 640})
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A tab in the test's browser profile."""
    return context.new_page()
