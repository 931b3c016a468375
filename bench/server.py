"""Auth-server figures over real HTTP against ``jotauth serve`` (prints numbers, asserts nothing).

    .venv/bin/python bench/server.py            # SQLite and PostgreSQL
    .venv/bin/python bench/server.py --sqlite-only

Measures, with the production argon2id parameters of Settings (OWASP: t=2, m=19 MiB, p=1,
``hash_workers`` threads):

* logins per second (every login is one argon2id verification),
* refreshes per second and their p50/p99 latency, on SQLite and on PostgreSQL,
* p99 latency of ``GET /api/auth/me`` alone and during a login storm (the bounded hashing
  pool should keep the ratio under 2x).

The load generator runs in this process and competes with the server for the same cores,
so the figures are conservative and machine-dependent.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

JOTAUTH = str(Path(sys.executable).parent / "jotauth")
PASSWORD = "correct horse battery staple"
POSTGRES_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(database_url: str, workdir: Path, **extra_env: str) -> Iterator[str]:
    """``jotauth serve`` with production hashing parameters and a permissive throttle."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOTAUTH_")}
    env.update(
        {
            "JOTAUTH_DATABASE_URL": database_url,
            "JOTAUTH_SECRET_KEY": secrets.token_urlsafe(32),
            "JOTAUTH_ISSUER": f"http://127.0.0.1:{port}",
            "JOTAUTH_SIGNUP_ENABLED": "true",
            "JOTAUTH_LOGIN_ATTEMPTS_PER_ACCOUNT": "1000000",
            "JOTAUTH_LOGIN_ATTEMPTS_PER_IP": "1000000",
            "JOTAUTH_LOG_LEVEL": "warning",
            **extra_env,
        }
    )
    log = (workdir / f"server-{port}.log").open("wb")
    process = subprocess.Popen(
        [JOTAUTH, "serve", "--port", str(port)], env=env, cwd=workdir, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"server did not start; see {log.name}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A throw-away PostgreSQL database."""
    import asyncpg

    name = f"jotauth_bench_{secrets.token_hex(4)}"

    async def execute(statement: str) -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _timed_loop(
    duration: float,
    concurrency: int,
    operation: Callable[[int], Awaitable[None]],
    *,
    pause: float = 0.0,
) -> tuple[int, list[float]]:
    """Run ``operation`` from ``concurrency`` workers for ``duration`` s; count and latencies.

    ``pause`` (not timed) spaces a worker's calls out, for a steady rate below capacity.
    """
    latencies: list[float] = []
    deadline = time.perf_counter() + duration

    async def worker(index: int) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await operation(index)
            latencies.append(time.perf_counter() - started)
            if pause:
                await asyncio.sleep(pause)

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return len(latencies), latencies


async def _signup(http: httpx.AsyncClient, count: int) -> list[str]:
    emails = [f"bench-{i}-{secrets.token_hex(3)}@example.org" for i in range(count)]
    for email in emails:
        response = await http.post(
            "/api/auth/signup", json={"email": email, "password": PASSWORD, "delivery": "body"}
        )
        response.raise_for_status()
    return emails


async def bench_logins(url: str, duration: float) -> tuple[float, float, float]:
    """Logins/s with 8 concurrent clients (the server hashes on ``hash_workers`` threads)."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        emails = await _signup(http, 8)

        async def login(index: int) -> None:
            response = await http.post(
                "/api/auth/login",
                json={"email": emails[index], "password": PASSWORD, "delivery": "body"},
            )
            response.raise_for_status()

        count, latencies = await _timed_loop(duration, 8, login)
    return count / duration, _percentile(latencies, 0.5), _percentile(latencies, 0.99)


async def bench_refresh(
    url: str, duration: float, sessions: int = 16
) -> tuple[float, float, float]:
    """Refreshes/s and p50/p99 (ms): ``sessions`` native clients rotating back to back."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        emails = await _signup(http, 2)
        tokens: list[str] = []
        for index in range(sessions):
            response = await http.post(
                "/api/auth/login",
                json={"email": emails[index % 2], "password": PASSWORD, "client": "native"},
            )
            tokens.append(response.json()["refresh_token"])

        async def refresh(index: int) -> None:
            response = await http.post("/api/auth/refresh", json={"refresh_token": tokens[index]})
            response.raise_for_status()
            tokens[index] = response.json()["refresh_token"]

        count, latencies = await _timed_loop(duration, sessions, refresh)
    return count / duration, _percentile(latencies, 0.5), _percentile(latencies, 0.99)


async def bench_me_under_login_storm(url: str, duration: float) -> tuple[float, float, float, int]:
    """p50 and p99 (ms) of GET /api/auth/me alone, then p99 while 16 clients log in."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        emails = await _signup(http, 4)
        login = await http.post(
            "/api/auth/login", json={"email": emails[0], "password": PASSWORD, "delivery": "body"}
        )
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}

        async def me(_: int) -> None:
            (await http.get("/api/auth/me", headers=bearer)).raise_for_status()

        # A steady trickle (~70/s from 2 clients), far below capacity: the figure is
        # latency, not queueing behind our own sampler.
        _, quiet = await _timed_loop(duration, 2, me, pause=0.025)

        async def storm(index: int) -> None:
            await http.post(
                "/api/auth/login", json={"email": emails[index % 4], "password": PASSWORD}
            )

        storm_task = asyncio.create_task(_timed_loop(duration + 1, 16, storm))
        await asyncio.sleep(0.5)  # let the storm fill the hashing pool first
        _, stormy = await _timed_loop(duration, 2, me, pause=0.025)
        logins, _ = await storm_task
    return _percentile(quiet, 0.5), _percentile(quiet, 0.99), _percentile(stormy, 0.99), logins


async def run_suite(label: str, url: str, duration: float, with_logins: bool) -> None:
    if with_logins:
        rate, p50, p99 = await bench_logins(url, duration)
        print(f"{label:<11} login x8        {rate:8.1f} /s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
    for clients in (1, 16):
        rate, p50, p99 = await bench_refresh(url, duration, sessions=clients)
        print(
            f"{label:<11} refresh x{clients:<2}     {rate:8.1f} /s   p50 {p50:7.1f} ms"
            f"   p99 {p99:7.1f} ms"
        )


async def run_storm(label: str, url: str, duration: float) -> None:
    quiet_p50, quiet_p99, storm_p99, storm_logins = await bench_me_under_login_storm(url, duration)
    print(
        f"{label:<11} GET /me  p50 {quiet_p50:6.1f} ms  p99 alone {quiet_p99:6.1f} ms"
        f"  p99 in login storm {storm_p99:6.1f} ms ({storm_p99 / quiet_p99:.2f}x,"
        f" {storm_logins / (duration + 1):.1f} logins/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    from jotauth.settings import Settings

    defaults = Settings()
    print(
        f"argon2id t={defaults.argon2_time_cost} m={defaults.argon2_memory_cost} KiB "
        f"p={defaults.argon2_parallelism}, hash_workers={defaults.hash_workers}, "
        f"{os.cpu_count()} CPUs, {args.duration:.0f} s per figure"
    )
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with serve(f"sqlite+aiosqlite:///{workdir}/bench.db", workdir) as url:
            asyncio.run(run_suite("SQLite", url, args.duration, with_logins=True))
            asyncio.run(run_storm("SQLite", url, args.duration))
        # The same storm with one hashing thread: on a 2-core machine the event loop then
        # keeps a core of its own.
        with serve(
            f"sqlite+aiosqlite:///{workdir}/bench1.db", workdir, JOTAUTH_HASH_WORKERS="1"
        ) as url:
            asyncio.run(run_storm("SQLite hw=1", url, args.duration))
        if not args.sqlite_only:
            with fresh_postgres() as database, serve(database, workdir) as url:
                asyncio.run(run_suite("PostgreSQL", url, args.duration, with_logins=False))
    print("(figures, not assertions: the load generator shares the CPUs with the server)")


if __name__ == "__main__":
    main()
