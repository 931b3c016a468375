"""Revocation fan-out on a running auth server (in-process, real store, real Redis): ended
sessions appear in the feed and on the Redis channel, and the guard's lists pick them up."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from jotauth.guard.revocations import PolledRevocations, RedisRevocations
from jotauth.revocations import RevocationDocument
from tests.integration.server.server_harness import BASE_URL, Server, server_settings, start_server

REDIS_URL = "redis://127.0.0.1:6379/0"
FEED = "/.well-known/jotauth-revocations"


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[Server]:
    async for running in start_server(server_settings(database_url)):
        yield running


async def _logged_in_session(server: Server) -> str:
    await server.add_user()
    await server.login()
    sid = server.context.verifier.verify(server.client.cookies["__Host-jot_access"]).sid
    assert sid
    return sid


async def test_an_ended_session_is_in_the_feed_until_its_tokens_expire(server: Server) -> None:
    sid = await _logged_in_session(server)
    before = await server.client.get(FEED)
    assert before.status_code == 200 and sid not in before.json()["sessions"]
    assert (await server.client.post("/api/auth/logout", headers=server.xsrf())).status_code == 204
    server.clock.advance(2)  # past the feed's max-age
    after = await server.client.get(FEED)
    assert after.headers["cache-control"] == "public, max-age=1"
    until = after.json()["sessions"][sid]
    settings = server.context.settings
    assert until == pytest.approx(
        time.time() + 2 + settings.access_token_ttl + settings.leeway, abs=5
    )
    same = await server.client.get(FEED, headers={"If-None-Match": after.headers["etag"]})
    assert same.status_code == 304 and same.content == b""
    server.clock.advance(settings.access_token_ttl + settings.leeway + 5)
    assert sid not in (await server.client.get(FEED)).json()["sessions"]


async def test_a_polling_guard_refuses_the_session_after_logout_all(server: Server) -> None:
    sid = await _logged_in_session(server)
    async with httpx.AsyncClient(transport=server.transport, base_url=BASE_URL) as http:
        revoked = PolledRevocations(f"{BASE_URL}{FEED}", http_client=http, clock=server.clock)
        assert await revoked.poll_once() and not revoked.is_revoked(sid)
        logout_all = await server.client.post("/api/auth/logout-all", headers=server.xsrf())
        assert logout_all.status_code == 204
        server.clock.advance(1.1)
        assert await revoked.poll_once()
        assert revoked.is_revoked(sid)
        await revoked.aclose()


async def test_a_feed_that_is_down_or_garbage_keeps_what_was_known() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return (
            httpx.Response(200, content=RevocationDocument(sessions={"s1": 4e9}).to_json())
            if request.url.path == "/good"
            else httpx.Response(200, content=b"<html>")
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        revoked = PolledRevocations("http://feed/good", http_client=http)
        assert await revoked.poll_once() and revoked.is_revoked("s1")
        revoked._reader._url = "http://feed/garbage"  # the feed starts answering nonsense
        assert not await revoked.poll_once()
        assert revoked.is_revoked("s1")
        await revoked.aclose()


@pytest.mark.redis
async def test_a_redis_subscriber_hears_a_logout_within_two_seconds(database_url: str) -> None:
    channel_guard = RedisRevocations(REDIS_URL)
    await channel_guard.start()
    try:
        settings = server_settings(database_url, redis_url=REDIS_URL)
        async for server in start_server(settings):
            sid = await _logged_in_session(server)
            started = time.monotonic()
            response = await server.client.post("/api/auth/logout", headers=server.xsrf())
            assert response.status_code == 204
            while not channel_guard.is_revoked(sid):
                assert time.monotonic() - started < 2, "not heard within 2 s"
                await asyncio.sleep(0.01)
    finally:
        await channel_guard.aclose()


@pytest.mark.redis
async def test_a_garbage_message_on_the_channel_changes_nothing() -> None:
    import redis.asyncio as redis_asyncio

    channel = f"jotauth:test:{secrets.token_hex(4)}"
    guard = RedisRevocations(REDIS_URL, channel=channel)
    await guard.start()
    client = redis_asyncio.Redis.from_url(REDIS_URL)
    try:
        await client.publish(channel, b"garbage")
        await client.publish(channel, RevocationDocument(sessions={"s9": 4e9}).to_json())
        deadline = time.monotonic() + 2
        while not guard.is_revoked("s9"):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        assert guard.messages == 1 and len(guard) == 1
    finally:
        await client.aclose()
        await guard.aclose()
