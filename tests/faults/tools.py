"""What every fault scenario does around its fault: start servers, sign users up, keep them
refreshing like real native clients, and count what those users would notice.

A ``NativeClient`` behaves as a mobile app does: it holds one refresh token and replaces it
only when a refresh response actually arrives. A lost response (the connection dropped, the
server died) or a 503 leaves it holding the token it had, and it retries with that one. A 401
on a refresh is a logout the user would see: for a session nobody ended, that is a false
logout, the thing these scenarios must never show.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.ports import free_port
from tests.support.serve import ServerProcess, serve_env

SECRET_KEY = "faults-secret-key-0123456789abcdef0123456789"
APP_ORIGIN = "http://app.localhost:4200"
PASSWORD = "correct horse battery staple"
# Shorter than any outage the scenarios cause, so "restart took longer than the grace
# window" is what every scenario exercises.
GRACE_PERIOD_S = 1
# The bar: the first good answer comes within 2 s of the dependency returning.
RECOVERY_BUDGET_S = 2.0
REQUEST_TIMEOUT_S = 30.0


def fault_env(database_url: str, port: int, **overrides: str) -> dict[str, str]:
    """A test server's environment with a 1 s grace window and no per-account throttling."""
    tuned = {
        "JOTAUTH_REFRESH_GRACE_PERIOD": str(GRACE_PERIOD_S),
        "JOTAUTH_LOGIN_ATTEMPTS_PER_ACCOUNT": "100000",
    }
    return serve_env(
        database_url, port, secret_key=SECRET_KEY, allowed_origin=APP_ORIGIN, **tuned | overrides
    )


def fault_server(database_url: str, workdir: Path, **overrides: str) -> ServerProcess:
    """A ``jotauth serve`` on a fresh port with :func:`fault_env` (started, not yet ready)."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    return ServerProcess(fault_env(database_url, port, **overrides), port, workdir)


@dataclass
class Outcomes:
    """Every answer the simulated users got, sorted by what a user would notice."""

    statuses: Counter[int] = field(default_factory=Counter)
    lost: int = 0  # no response arrived (reset, refused, killed server, timeout)
    false_logouts: int = 0  # 401 on a session nobody ended
    server_errors: int = 0  # 5xx other than 503
    unavailable_without_retry_after: int = 0
    slowest_503_s: float = 0.0
    details: list[str] = field(default_factory=list)

    def record(self, response: httpx.Response | None, elapsed: float) -> None:
        if response is None:
            self.lost += 1
            return
        status = response.status_code
        self.statuses[status] += 1
        if status == 401:
            self.false_logouts += 1
            self.details.append(f"401 {response.request.url.path}: {response.text[:200]}")
        elif status == 503:
            self.slowest_503_s = max(self.slowest_503_s, elapsed)
            if not response.headers.get("retry-after"):
                self.unavailable_without_retry_after += 1
        elif status >= 500:
            self.server_errors += 1
            self.details.append(f"{status} {response.request.url.path}: {response.text[:200]}")

    def assert_nothing_a_user_should_not_see(self) -> None:
        """0 false logouts, 0 5xx other than 503, every 503 with ``Retry-After``."""
        assert self.false_logouts == 0, self.details
        assert self.server_errors == 0, self.details
        assert self.unavailable_without_retry_after == 0, self.statuses


class NativeClient:
    """One user's app: signs up, then refreshes with the one token it holds."""

    def __init__(self, http: httpx.AsyncClient, outcomes: Outcomes) -> None:
        self.http = http
        self.outcomes = outcomes
        self.email = f"user-{secrets.token_hex(5)}@example.org"
        self.refresh_token = ""
        self.access_token = ""

    async def sign_up(self, base_url: str) -> None:
        response = await self.http.post(
            f"{base_url}/api/auth/signup",
            json={"email": self.email, "password": PASSWORD, "client": "native"},
        )
        assert response.status_code == 200, response.text
        self._take(response)

    async def refresh(self, base_url: str, *, drop_response: bool = False) -> int | None:
        """One refresh; the new tokens are kept only when the answer arrives and is kept.

        ``drop_response`` plays a response lost after the server committed the rotation
        (a tab closed, a network drop): the server rotated, the client never saw it.
        """
        response = await self._send(
            "POST", f"{base_url}/api/auth/refresh", json={"refresh_token": self.refresh_token}
        )
        if response is None:
            return None
        if response.status_code == 200 and not drop_response:
            self._take(response)
        return response.status_code

    async def log_in(self, base_url: str) -> int | None:
        """A fresh login (a new session); the tokens are kept when it succeeds."""
        response = await self._send(
            "POST",
            f"{base_url}/api/auth/login",
            json={"email": self.email, "password": PASSWORD, "client": "native"},
        )
        if response is None:
            return None
        if response.status_code == 200:
            self._take(response)
        return response.status_code

    async def session_ids(self, base_url: str) -> list[str]:
        """The ids of the user's active sessions, as the account page lists them."""
        response = await self.http.get(
            f"{base_url}/api/auth/sessions",
            headers={"Authorization": f"Bearer {self.access_token}"},
        )
        assert response.status_code == 200, response.text
        return [session["id"] for session in response.json()["sessions"]]

    async def me(self, base_url: str) -> int | None:
        response = await self._send(
            "GET",
            f"{base_url}/api/auth/me",
            headers={"Authorization": f"Bearer {self.access_token}"},
        )
        return None if response is None else response.status_code

    async def _send(self, method: str, url: str, **kwargs: object) -> httpx.Response | None:
        started_at = time.monotonic()
        try:
            response = await self.http.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError:
            response = None
        self.outcomes.record(response, time.monotonic() - started_at)
        return response

    def _take(self, response: httpx.Response) -> None:
        body = response.json()
        self.refresh_token = body["refresh_token"]
        self.access_token = body["access_token"]


async def signed_up(
    http: httpx.AsyncClient, base_url: str, outcomes: Outcomes, count: int
) -> list[NativeClient]:
    clients = [NativeClient(http, outcomes) for _ in range(count)]
    for client in clients:  # one at a time: argon2 on a shared 2-core machine
        await client.sign_up(base_url)
    return clients


async def refresh_storm(
    clients: Sequence[NativeClient],
    base_url: str,
    stop: asyncio.Event,
    *,
    drop_every: int = 0,
    pause_s: float = 0.02,
) -> None:
    """Every client refreshes in a loop until ``stop``; every ``drop_every``-th answer is lost."""

    async def loop(client: NativeClient) -> None:
        sent = 0
        while not stop.is_set():
            sent += 1
            drop = bool(drop_every) and sent % drop_every == 0
            await client.refresh(base_url, drop_response=drop)
            await asyncio.sleep(pause_s)

    await asyncio.gather(*(loop(client) for client in clients))


async def time_until_all_refresh(
    clients: Sequence[NativeClient], base_url: str, *, since: float, timeout: float = 15.0
) -> float:
    """Seconds from ``since`` (a ``time.monotonic()``) until every client had a 200 refresh.

    Each client retries with the token it holds, every 50 ms, as an app would after a 503.
    """
    deadline = since + timeout

    async def until_ok(client: NativeClient) -> float:
        while time.monotonic() < deadline:
            if await client.refresh(base_url) == 200:
                return time.monotonic() - since
            await asyncio.sleep(0.05)
        raise AssertionError(f"{client.email} did not refresh within {timeout}s")

    return max(await asyncio.gather(*(until_ok(client) for client in clients)))


async def assert_sessions_alive(clients: Sequence[NativeClient], base_url: str) -> None:
    """0 sessions lost: every client refreshes once more and its new token reads ``/me``."""
    for client in clients:
        assert await client.refresh(base_url) == 200, client.email
        assert await client.me(base_url) == 200, client.email


async def storm_for(clients: Sequence[NativeClient], base_url: str, seconds: float) -> Outcomes:
    """A refresh storm of ``seconds`` (every request sent finished), counted on its own;
    afterwards the clients count into their own outcomes again."""
    phase = Outcomes()
    kept = [client.outcomes for client in clients]
    for client in clients:
        client.outcomes = phase
    stop = asyncio.Event()
    storm = asyncio.create_task(refresh_storm(clients, base_url, stop, pause_s=0.1))
    await asyncio.sleep(seconds)
    stop.set()
    await storm
    for client, outcomes in zip(clients, kept, strict=True):
        client.outcomes = outcomes
    return phase


def assert_only_503_meanwhile(during: Outcomes) -> None:
    """During an outage every refresh got 503 + Retry-After: never a 401, 500 or a hang-up."""
    during.assert_nothing_a_user_should_not_see()
    assert set(during.statuses) == {503}, during.statuses
    assert during.lost == 0
