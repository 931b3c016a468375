"""The seeds' split-origin design: the app on ``app.example.localhost``, the auth server on
``auth.example.localhost``, cookies for ``example.localhost``, behind nginx with TLS.

The app sends the user to the hosted login with ``return_to``; the auth server sets its
cookies for the parent domain (so without the ``__Host-`` prefix, which forbids a Domain);
the app's own API then accepts the access cookie, its page asks the auth server who is
signed in (CORS with credentials) and signs out there with the XSRF double submit.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.browser.browser_demo import REPO_ROOT
from tests.e2e.deploy.conftest import APP_HOST, AUTH_HOST, add_user, start_proxy
from tests.e2e.deploy.proxy import PROXY_SOURCE, LocalTLS
from tests.support.ports import free_port
from tests.support.serve import (
    ServerProcess,
    serve_env,
    started,
    stop_process,
    wait_until_ready,
)

pytestmark = pytest.mark.browser

SECRET_KEY = "split-origin-secret-key-0123456789abcdef01234"
PASSWORD = "correct horse battery staple"
EMAIL = "reader@example.org"


@dataclass(frozen=True)
class SplitOrigin:
    """The two public origins."""

    auth_url: str
    app_url: str


@pytest.fixture(scope="module")
def split_origin(tls: LocalTLS, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SplitOrigin]:
    """A production auth server (SQLite) and the app, each on its own host, behind nginx."""
    folder = tmp_path_factory.mktemp("split-origin")
    proxy_port = free_port()
    auth_url = f"https://{AUTH_HOST}:{proxy_port}"
    app_url = f"https://{APP_HOST}:{proxy_port}"
    auth_port, app_port = free_port(), free_port()
    env = serve_env(
        f"sqlite+aiosqlite:///{folder}/jotauth.db",
        auth_port,
        secret_key=SECRET_KEY,
        allowed_origin=app_url,
        JOTAUTH_ISSUER=auth_url,
        JOTAUTH_PUBLIC_URL=auth_url,
        JOTAUTH_COOKIE_DOMAIN="example.localhost",
        JOTAUTH_SIGNUP_ENABLED="false",
    )
    auth = ServerProcess(env, auth_port, folder, "--forwarded-allow-ips", PROXY_SOURCE)
    app_log = folder / "app.log"
    with app_log.open("wb") as out:
        app = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.e2e.deploy.app_site",
                f"--auth-url={auth_url}",
                f"--app-url={app_url}",
                # The app fetches the keys over the internal network, not through the proxy.
                f"--jwks-url=http://127.0.0.1:{auth_port}/.well-known/jwks.json",
                "--audience=lessons",
                "--cookie-name=jot_access",  # a cookie Domain rules out the __Host- prefix
                f"--port={app_port}",
            ],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=out,
        )
    try:
        with started(auth, timeout=120):
            wait_until_ready(app, f"http://127.0.0.1:{app_port}/healthz", app_log, timeout=120)
            add_user(auth, EMAIL, PASSWORD)
            proxy = start_proxy(folder / "nginx", proxy_port, tls, (auth_port, auth_port), app_port)
            try:
                yield SplitOrigin(auth_url=auth_url, app_url=app_url)
            finally:
                proxy.stop()
    finally:
        stop_process(app)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_app_signs_in_on_the_auth_host_and_uses_the_parent_domain_cookies(
    browser: Browser, split_origin: SplitOrigin, screenshots: Path, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{split_origin.app_url}/")
        expect(page.locator("#me")).to_have_text("signed out (401)")
        expect(page.locator("#lessons")).to_have_text("lessons refused (401)")

        page.click("#sign-in")
        page.wait_for_url(re.compile(re.escape(f"{split_origin.auth_url}/login?return_to=")))
        page.screenshot(path=screenshots / f"split-origin-login-{width}.png", full_page=True)
        page.fill("input[name=email]", EMAIL)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")

        page.wait_for_url(f"{split_origin.app_url}/")
        expect(page.locator("#me")).to_have_text(f"signed in as {EMAIL}")
        expect(page.locator("#lessons")).to_have_text("4 lessons")
        page.screenshot(path=screenshots / f"split-origin-app-{width}.png", full_page=True)
        cookies = {c["name"]: c for c in context.cookies()}
        for name in ("jot_access", "jot_refresh", "XSRF-TOKEN"):
            assert cookies[name]["domain"] == ".example.localhost", cookies[name]
            assert cookies[name]["secure"], cookies[name]
        assert cookies["jot_access"]["httpOnly"] and cookies["jot_refresh"]["httpOnly"]

        page.click("#sign-out")
        expect(page.locator("#me")).to_have_text("signed out (401)")
        expect(page.locator("#lessons")).to_have_text("lessons refused (401)")
    finally:
        context.close()
