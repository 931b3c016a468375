"""Redis down or resetting: every login answers 503 with Retry-After (never 500), and
/readyz says 503 while it lasts (issue 10, item 7).

Real parts only: a throw-away ``redis-server`` on its own port (killed with SIGKILL and
started again; the shared server on 6379 is never touched), and a TCP proxy in front of the
shared server that resets every connection it carries.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import struct
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
import uvloop

from tests.integration.server.server_harness import server_settings, start_server

pytestmark = pytest.mark.redis


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowAwayRedis:
    """A private redis-server process this test may kill and restart."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        raise RuntimeError("the throw-away redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()  # SIGKILL: no goodbye to connected clients
            self.process.wait()
            self.process = None


@pytest.fixture
def throw_away_redis() -> Iterator[ThrowAwayRedis]:
    redis = ThrowAwayRedis(_free_port())
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()


class ResettingProxy:
    """Forwards to the shared Redis until :meth:`reset_all` aborts every connection with RST."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._connections: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = []
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._carry, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _carry(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", 6379)
        self._connections.append((writer, upstream_writer))

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except OSError:
                pass

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    def reset_all(self) -> None:
        for client_side, upstream in self._connections:
            linger = struct.pack("ii", 1, 0)  # close with RST, as a crashed peer or a NAT does
            client_side.get_extra_info("socket").setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, linger
            )
            client_side.transport.abort()
            upstream.transport.abort()
        self._connections.clear()

    async def close(self) -> None:
        self.reset_all()
        if self._server is not None:
            self._server.close()
            await asyncio.sleep(0.05)  # let the carried connections see their end


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "throttle_unavailable"
    assert int(response.headers["retry-after"]) >= 1


def test_a_reset_redis_connection_under_uvloop_answers_503_not_500(sqlite_url: str) -> None:
    # uvloop (what `jotauth serve` runs on) raises RuntimeError, not a RedisError, when
    # redis-py writes to a transport the peer has reset. The shared Redis is reached through
    # the proxy with the server's own key prefix, so the account is unique to this test.
    email = f"reset-{secrets.token_hex(6)}@example.org"

    async def scenario() -> list[httpx.Response]:
        proxy = ResettingProxy()
        await proxy.start()
        settings = server_settings(sqlite_url, redis_url=f"redis://127.0.0.1:{proxy.port}/0")
        try:
            async for server in start_server(settings):
                await server.add_user(email)
                assert (await server.login(email)).status_code == 204
                proxy.reset_all()
                await asyncio.sleep(0.1)
                return [await server.login(email) for _ in range(2)]
        finally:
            await proxy.close()
        raise AssertionError("the server did not start")

    during_reset, after_reconnect = uvloop.run(scenario())
    _assert_unavailable(during_reset)
    assert after_reconnect.status_code == 204  # the pool reconnects at once


async def test_readyz_and_login_are_503_while_redis_is_down_and_recover_when_it_returns(
    sqlite_url: str, throw_away_redis: ThrowAwayRedis
) -> None:
    async for server in start_server(server_settings(sqlite_url, redis_url=throw_away_redis.url)):
        await server.add_user()
        assert (await server.client.get("/readyz")).status_code == 200
        throw_away_redis.kill()

        ready = await server.client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "throttle": "unreachable"}
        _assert_unavailable(await server.login())

        throw_away_redis.start()
        started = time.monotonic()
        while (await server.client.get("/readyz")).status_code != 200:
            assert time.monotonic() - started < 2.0, "not ready 2 s after Redis returned"
            await asyncio.sleep(0.05)
        assert (await server.login()).status_code == 204


async def test_a_blackholed_redis_answers_503_within_the_client_timeout(sqlite_url: str) -> None:
    # Accepts the TCP connection and never answers, as a dropped route or a hung server does.
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    blackhole = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = blackhole.sockets[0].getsockname()[1]
    settings = server_settings(sqlite_url, redis_url=f"redis://127.0.0.1:{port}/0")
    try:
        async for server in start_server(settings):
            started = time.monotonic()
            _assert_unavailable(await server.login())
            assert time.monotonic() - started < 3.0  # the throttle's 2 s socket timeout
            assert (await server.client.get("/readyz")).status_code == 503
    finally:
        for writer in held:
            writer.close()
        blackhole.close()
