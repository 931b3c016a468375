"""Production mode behind a TLS reverse proxy: two auth servers, one PostgreSQL, one Redis.

``jotauth serve`` without ``--dev`` runs twice on one PostgreSQL database and one Redis,
behind Debian's nginx with the shipped configuration (``deploy/nginx/``) and a certificate
from a CA made by the test. Chromium signs in on ``https://auth.example.localhost:PORT``.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.deploy.conftest import AUTH_HOST, add_user, start_proxy
from tests.e2e.deploy.proxy import PROXY_SOURCE, LocalTLS
from tests.support.databases import fresh_postgres_database
from tests.support.ports import free_port
from tests.support.serve import ServerProcess, serve_env, started

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.browser]

SECRET_KEY = "deploy-secret-key-0123456789abcdef0123456789"
PASSWORD = "correct horse battery staple"
EMAIL = "operator@example.org"
FORGED_ADDRESS = "203.0.113.9"


@dataclass(frozen=True)
class Deployment:
    """The public URL and the two instances behind it."""

    url: str
    instances: tuple[ServerProcess, ServerProcess]


@pytest.fixture(scope="module")
def deployment(tls: LocalTLS, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """Two production servers on one PostgreSQL + Redis, behind nginx with TLS."""
    folder = tmp_path_factory.mktemp("tls-proxy")
    proxy_port = free_port()
    public = f"https://{AUTH_HOST}:{proxy_port}"
    with fresh_postgres_database("jotauth_deploy") as database_url:
        servers = []
        for name in ("a", "b"):
            (folder / name).mkdir()
            port = free_port()
            env = serve_env(
                database_url,
                port,
                secret_key=SECRET_KEY,
                allowed_origin=public,
                JOTAUTH_ISSUER=public,
                JOTAUTH_PUBLIC_URL=public,
                JOTAUTH_REDIS_URL="redis://127.0.0.1:6379/0",
                JOTAUTH_SIGNUP_ENABLED="false",
            )
            servers.append(
                ServerProcess(env, port, folder / name, "--forwarded-allow-ips", PROXY_SOURCE)
            )
        a, b = servers
        # Generous: on a loaded shared machine two interpreters starting at once are slow.
        with started(a, timeout=120), started(b, timeout=120):
            add_user(a, EMAIL, PASSWORD)
            proxy = start_proxy(folder / "nginx", proxy_port, tls, (a.port, b.port), a.port)
            try:
                yield Deployment(url=public, instances=(a, b))
            finally:
                proxy.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile per test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context
    context.close()


@pytest.fixture
def signed_in(context: BrowserContext, deployment: Deployment, screenshots: Path) -> Page:
    """A tab signed in through the hosted login page, over TLS."""
    page = context.new_page()
    response = page.goto(f"{deployment.url}/login")
    assert response is not None and response.ok
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("You are signed in")
    page.screenshot(path=screenshots / "tls-proxy-signed-in.png", full_page=True)
    return page


def through_proxy(deployment: Deployment, tls: LocalTLS, cookies: str = "") -> httpx.Client:
    """An HTTPS client of the proxy that verifies its certificate by the test CA.

    Chromium resolves ``*.localhost`` itself; this process cannot, so it connects to
    127.0.0.1 and names the site in ``Host``. The hosted pages' CSP forbids scripts, so the
    API calls of a signed-in browser are replayed here with the browser's cookies.
    """
    port = deployment.url.rsplit(":", 1)[1]
    headers = {"Host": f"{AUTH_HOST}:{port}", "Origin": deployment.url}
    if cookies:
        headers["Cookie"] = cookies
    return httpx.Client(
        base_url=f"https://127.0.0.1:{port}",
        headers=headers,
        verify=ssl.create_default_context(cafile=str(tls.ca)),
    )


def cookie_header(context: BrowserContext, *names: str) -> str:
    """The ``Cookie`` header the browser would send, limited to ``names``."""
    return "; ".join(f"{c['name']}={c['value']}" for c in context.cookies() if c["name"] in names)


def xsrf_of(context: BrowserContext) -> str:
    """The XSRF token the browser holds (double submit)."""
    return next(c["value"] for c in context.cookies() if c["name"] == "XSRF-TOKEN")


def test_hosted_login_over_tls_sets_host_prefixed_secure_cookies_and_hsts(
    context: BrowserContext, deployment: Deployment, signed_in: Page
) -> None:
    response = signed_in.goto(f"{deployment.url}/login")
    assert response is not None
    assert "max-age=" in (response.headers.get("strict-transport-security") or "")
    cookies = {c["name"]: c for c in context.cookies()}
    for name in ("__Host-jot_access", "__Host-jot_refresh"):
        cookie = cookies[name]
        # __Host-: Secure, Path=/, no Domain (a host-only cookie of the auth host).
        assert cookie["secure"] and cookie["httpOnly"], cookie
        assert cookie["domain"] == AUTH_HOST and cookie["path"] == "/", cookie
    assert cookies["XSRF-TOKEN"]["secure"] and not cookies["XSRF-TOKEN"]["httpOnly"]


def test_sessions_record_the_clients_address_never_the_proxys_or_a_forged_one(
    deployment: Deployment, tls: LocalTLS, signed_in: Page, context: BrowserContext
) -> None:
    with through_proxy(deployment, tls) as http:
        # Through the proxy, with a forged X-Forwarded-For that nginx overwrites.
        login = http.post(
            "/api/auth/login",
            json={"email": EMAIL, "password": PASSWORD, "delivery": "body"},
            headers={"X-Forwarded-For": FORGED_ADDRESS},
        )
        assert login.status_code == 200, login.text
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        sessions = http.get("/api/auth/sessions", headers=bearer).json()["sessions"]
    # Chromium's session and this one: both from 127.0.0.1, never the proxy's own address.
    assert {s["ip"] for s in sessions} == {"127.0.0.1"}, sessions

    # Straight to an instance, from another address: its X-Forwarded-For is not trusted.
    a = deployment.instances[0]
    direct = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.3"))
    with direct:
        body = direct.post(
            f"{a.url}/api/auth/login",
            json={"email": EMAIL, "password": PASSWORD, "delivery": "body"},
            headers={"X-Forwarded-For": FORGED_ADDRESS, "Origin": deployment.url},
        )
        assert body.status_code == 200, body.text
        sessions = direct.get(
            f"{a.url}/api/auth/sessions",
            headers={"Authorization": f"Bearer {body.json()['access_token']}"},
        ).json()["sessions"]
    assert FORGED_ADDRESS not in {s["ip"] for s in sessions}
    assert "127.0.0.3" in {s["ip"] for s in sessions}


def test_both_instances_serve_one_session_and_a_logout_ends_it_on_both(
    context: BrowserContext, deployment: Deployment, tls: LocalTLS, signed_in: Page
) -> None:
    access = cookie_header(context, "__Host-jot_access")
    with through_proxy(deployment, tls, access) as http:
        answers = [http.get("/api/auth/me") for _ in range(6)]
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    assert len({a.headers["x-upstream"] for a in answers}) == 2  # round robin reached both

    # The browser refreshes (cookie delivery) and signs out, each on whichever instance.
    refresh_and_xsrf = cookie_header(context, "__Host-jot_refresh", "XSRF-TOKEN")
    with through_proxy(deployment, tls, refresh_and_xsrf) as http:
        refreshed = http.post("/api/auth/refresh", headers={"X-XSRF-TOKEN": xsrf_of(context)})
    assert refreshed.status_code == 204, refreshed.text
    signed_in.goto(f"{deployment.url}/logout")
    signed_in.click("button[type=submit]")
    expect(signed_in.locator("h1")).to_contain_text("signed out")

    # The ended session's refresh token, replayed on both instances, is refused.
    replayed = refreshed.cookies.get("__Host-jot_refresh")
    assert replayed
    xsrf = refreshed.cookies.get("XSRF-TOKEN") or xsrf_of(context)
    cookies = f"__Host-jot_refresh={replayed}; XSRF-TOKEN={xsrf}"
    with through_proxy(deployment, tls, cookies) as http:
        replays = [http.post("/api/auth/refresh", headers={"X-XSRF-TOKEN": xsrf}) for _ in range(4)]
    assert {r.status_code for r in replays} == {401}, [r.text for r in replays]
    assert len({r.headers["x-upstream"] for r in replays}) == 2
