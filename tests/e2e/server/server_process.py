"""The end-to-end server's settings, ``jotauth serve`` on SQLite or PostgreSQL, and a
cookie-jar client that shows raw flags (the process itself is ``tests.support.serve``)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.cookies import cookie_header
from tests.support.databases import fresh_postgres_database
from tests.support.ports import free_port
from tests.support.serve import ServerProcess, serve_env, started

SECRET_KEY = "e2e-secret-key-0123456789abcdef0123456789"
PASSWORD = "correct horse battery staple"
APP_ORIGIN = "http://app.localhost:4200"
METRICS_TOKEN = "e2e-metrics-token-0123456789"


def server_env(database_url: str, port: int, **overrides: str) -> dict[str, str]:
    """The environment of a test server: cheap argon2, short grace and JWKS cache period."""
    tuned = {
        "JOTAUTH_LOGIN_ATTEMPTS_PER_ACCOUNT": "1000",
        "JOTAUTH_REFRESH_GRACE_PERIOD": "3",
        "JOTAUTH_JWKS_MAX_AGE": "2",
        "JOTAUTH_METRICS_TOKEN": METRICS_TOKEN,
    }
    return serve_env(
        database_url, port, secret_key=SECRET_KEY, allowed_origin=APP_ORIGIN, **tuned | overrides
    )


@contextmanager
def running_server(database_url: str, workdir: Path, **overrides: str) -> Iterator[ServerProcess]:
    """Start a server on a fresh port and stop it afterwards."""
    port = free_port()
    with started(
        ServerProcess(server_env(database_url, port, **overrides), port, workdir)
    ) as server:
        yield server


@contextmanager
def running_server_on(backend: str, workdir: Path) -> Iterator[ServerProcess]:
    """A server on a fresh SQLite file in ``workdir`` or (``"postgres"``) a fresh PG database."""
    if backend == "sqlite":
        with running_server(f"sqlite+aiosqlite:///{workdir}/jotauth.db", workdir) as server:
            yield server
    else:
        with fresh_postgres_database("jotauth_e2e") as url, running_server(url, workdir) as server:
            yield server


class Browser:
    """An HTTP client with a cookie jar that ignores ``Secure`` (like a browser on localhost).

    The raw ``Set-Cookie`` headers of the last response stay inspectable, so the tests can
    assert the exact flags the server sent.
    """

    def __init__(self, base_url: str, http: httpx.AsyncClient | None = None) -> None:
        self.base_url = base_url
        self.http = http or httpx.AsyncClient(base_url=base_url, timeout=30)
        self.jar: dict[str, str] = {}

    async def request(
        self, method: str, path: str, *, headers: Mapping[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        """Send with the jar's cookies; apply the response's ``Set-Cookie`` headers."""
        all_headers = dict(headers or {})
        if self.jar and "Cookie" not in all_headers:
            all_headers["Cookie"] = cookie_header(self.jar)
        response = await self.http.request(method, path, headers=all_headers, **kw)
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in header or not value:
                self.jar.pop(name, None)
            else:
                self.jar[name] = value
        return response

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("POST", path, **kw)

    async def delete(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kw)

    def xsrf(self) -> dict[str, str]:
        """The header an SPA copies from the ``XSRF-TOKEN`` cookie."""
        return {"X-XSRF-TOKEN": self.jar.get("XSRF-TOKEN", "")}

    async def aclose(self) -> None:
        await self.http.aclose()


async def signup(base_url: str, email: str, password: str = PASSWORD) -> None:
    """Create an account through the public API (sign-up is enabled in the test settings)."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            "/api/auth/signup", json={"email": email, "password": password, "delivery": "body"}
        )
        assert response.status_code == 200, response.text


def unique_email(label: str) -> str:
    """A fresh account name per test (the server is shared by a module)."""
    return f"{label}-{secrets.token_hex(4)}@example.org"
