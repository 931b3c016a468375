"""A full argon2 queue sheds login, sign-up and password change with 503 + Retry-After, and
/metrics shows its depth (issue 10, item 5)."""

from __future__ import annotations

import asyncio
import re

import argon2
import httpx
from sqlalchemy import update

from jotauth.store.schema import users
from tests.integration.server.server_harness import PASSWORD, Server, server_settings, start_server

METRICS_TOKEN = "scrape-token-0123456789"
_DEPTH = re.compile(r"^jotauth_hash_queue_depth (\S+)$", re.MULTILINE)


async def _queue_depth(server: Server) -> float:
    scraped = await server.client.get(
        "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    match = _DEPTH.search(scraped.text)
    assert match, "no jotauth_hash_queue_depth gauge"
    return float(match.group(1))


def _assert_shed(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "hash_queue_full"
    assert int(response.headers["retry-after"]) >= 1


async def _add_user_with_a_slow_hash(server: Server, email: str) -> None:
    """A user whose stored hash takes ~0.5 s to verify (argon2 verifies with the parameters in
    the hash): three wrong-password logins for it hold the one worker and fill the queue."""
    await server.add_user(email)
    slow = argon2.PasswordHasher(time_cost=50, memory_cost=16 * 1024, parallelism=1)
    async with server.context.store.transaction() as conn:
        await conn.execute(
            update(users).where(users.c.email == email).values(password_hash=slow.hash(PASSWORD))
        )


async def test_a_full_hash_queue_answers_503_with_retry_after_and_shows_in_metrics(
    sqlite_url: str,
) -> None:
    settings = server_settings(
        sqlite_url, hash_workers=1, hash_queue_limit=2, metrics_token=METRICS_TOKEN
    )
    async for server in start_server(settings):
        await server.add_user()
        await _add_user_with_a_slow_hash(server, "slow@example.org")
        bearer = {
            "Authorization": "Bearer "
            + (await server.login(client="native")).json()["access_token"]
        }
        assert await _queue_depth(server) == 0

        # One running and two waiting: the queue is full until the first ends (~0.5 s).
        fillers = [
            asyncio.ensure_future(server.login("slow@example.org", "wrong password"))
            for _ in range(3)
        ]
        while await _queue_depth(server) < 2:
            await asyncio.sleep(0.005)

        _assert_shed(await server.login())
        _assert_shed(
            await server.client.post(
                "/api/auth/signup", json={"email": "new@example.org", "password": PASSWORD}
            )
        )
        _assert_shed(
            await server.client.post(
                "/api/auth/password",
                json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
                headers=bearer,
            )
        )
        assert await _queue_depth(server) == 2

        statuses = [response.status_code for response in await asyncio.gather(*fillers)]
        assert statuses == [401, 401, 401]  # the admitted ones were checked, never a 500
        assert await _queue_depth(server) == 0
        assert (await server.login()).status_code == 204  # drained: logins work again
