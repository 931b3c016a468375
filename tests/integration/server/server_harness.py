"""An auth server app on a real store (SQLite file or PostgreSQL), driven in-process over ASGI,
for the tests of this directory."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from jotauth.server.app import create_app
from jotauth.server.context import ServerContext
from jotauth.settings import Settings
from tests.support.clock import OffsetClock
from tests.support.cookies import cookie_header

BASE_URL = "https://auth.example.test"
APP_ORIGIN = "https://app.example.test"
PASSWORD = "correct horse battery staple"


@dataclass
class Server:
    client: httpx.AsyncClient
    context: ServerContext
    clock: OffsetClock
    transport: httpx.ASGITransport

    def browser(self) -> httpx.AsyncClient:
        """Another client with its own cookie jar (a second browser or device)."""
        return httpx.AsyncClient(transport=self.transport, base_url=BASE_URL)

    async def add_user(
        self, email: str = "ada@example.org", password: str = PASSWORD, **profile: Any
    ) -> str:
        user = await self.context.users.create_user(email, password, **profile)
        return user.id

    async def login(
        self, email: str = "ada@example.org", password: str = PASSWORD, **body: Any
    ) -> httpx.Response:
        return await self.client.post(
            "/api/auth/login", json={"email": email, "password": password, **body}
        )

    async def post_with_cookies(
        self,
        path: str,
        cookies: dict[str, str],
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """A POST carrying exactly ``cookies`` (another tab, a replayed or stolen cookie)."""
        async with self.browser() as tab:
            return await tab.post(
                path, headers={**(headers or {}), "Cookie": cookie_header(cookies)}, **kwargs
            )

    def xsrf(self, client: httpx.AsyncClient | None = None) -> dict[str, str]:
        return {"X-XSRF-TOKEN": (client or self.client).cookies.get("XSRF-TOKEN", "")}


def server_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": "integration-secret-key-0123456789abcdef",
        "issuer": BASE_URL,
        "audience": ("lessons",),
        "allowed_origins": (APP_ORIGIN,),
        "argon2_time_cost": 1,
        "argon2_memory_cost": 64,
        "argon2_parallelism": 1,
        "login_attempts_per_account": 5,
        "login_attempts_per_ip": 1000,
        "refresh_grace_period": 10,
        "signup_enabled": True,
        "jwks_max_age": 60,
        "key_rotation_period": 0,
        "algorithm": "ES256",
    }
    values.update(overrides)
    return Settings(**values)


async def start_server(settings: Settings) -> AsyncIterator[Server]:
    clock = OffsetClock()
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5555))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield Server(client=client, context=app.state.context, clock=clock, transport=transport)
