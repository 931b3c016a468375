"""The soak (issue 10, "What it must show"): simulated users over two ``jotauth serve``
instances on one PostgreSQL, one instance killed (-9) and restarted and PostgreSQL restarted
once in the middle; every user's session must survive.

    .venv/bin/python bench/soak.py --duration 600 --users 200

Each user signs up once, then, with a pause between steps, reads ``/api/auth/me``, refreshes,
or logs out and back in, keeping its session between steps like a native app: it replaces its
refresh token only when a refresh answer arrives, keeps the one it holds after a lost answer
or a 503, and retries. Requests go to either instance at random (a load balancer); a request
whose connection fails is retried once on the other instance (the balancer's failover).

The load generator runs in its own processes (``--workers``), never in a server's interpreter.
PostgreSQL is a throw-away cluster (``tests.support.faults``), never the shared server on 5432.

It prints sessions lost, false logouts, 5xx other than 503, 503s during and outside the
outages, recovery times and each server's RSS at start and end, and exits 1 if a session was
lost, a user was logged out falsely or a 5xx other than 503 was answered.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import random
import secrets
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the shared fault tooling lives in tests/support

from tests.support.faults import ThrowAwayPostgres, kill_hard, restarted  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.serve import ServerProcess, serve_env  # noqa: E402

PASSWORD = "correct horse battery staple"
SECRET_KEY = "soak-secret-key-0123456789abcdef0123456789"
APP_ORIGIN = "http://app.localhost:4200"
ISSUER = "http://127.0.0.1:8443"  # one public issuer behind the "load balancer"
GRACE_PERIOD_S = 2  # shorter than every outage: retries after it must still keep the session
POSTGRES_OUTAGE_S = 3.0
INSTANCE_DOWN_S = 3.0  # longer than the grace window before the killed instance restarts
# What the issue promises after a dependency returns.
RECOVERY_BUDGET_S = 2.0


# --- the simulated users (in the load generator processes) --------------------------------


@dataclass
class Tally:
    """What one load generator's users noticed (merged across processes at the end)."""

    statuses: Counter[str] = field(default_factory=Counter)  # "refresh 200", "me 503", ...
    lost: int = 0  # no answer at all (even after failover)
    false_logouts: int = 0  # 401 on a refresh of a session the user did not end
    server_errors: list[str] = field(default_factory=list)  # 5xx other than 503
    unavailable_at: list[float] = field(default_factory=list)  # wall times of 503s
    unavailable_without_retry_after: int = 0
    sessions_lost: int = 0  # users whose session could not be continued at the end
    users: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "statuses": dict(self.statuses),
            "lost": self.lost,
            "false_logouts": self.false_logouts,
            "server_errors": self.server_errors[:20],
            "server_error_count": len(self.server_errors),
            "unavailable_at": self.unavailable_at,
            "unavailable_without_retry_after": self.unavailable_without_retry_after,
            "sessions_lost": self.sessions_lost,
            "users": self.users,
        }


class SimulatedUser:
    def __init__(self, http: httpx.AsyncClient, urls: list[str], tally: Tally, rng: random.Random):
        self.http = http
        self.urls = urls
        self.tally = tally
        self.rng = rng
        self.email = f"soak-{secrets.token_hex(6)}@example.org"
        self.refresh_token = ""
        self.access_token = ""

    async def send(self, what: str, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        """One request through the "load balancer": a random instance, failover once."""
        first = self.rng.randrange(len(self.urls))
        for index in (first, 1 - first):
            try:
                response = await self.http.request(method, self.urls[index] + path, **kwargs)
            except httpx.TransportError:
                continue
            self._count(what, response)
            return response
        self.tally.lost += 1
        return None

    def _count(self, what: str, response: httpx.Response) -> None:
        status = response.status_code
        self.tally.statuses[f"{what} {status}"] += 1
        if status == 503:
            self.tally.unavailable_at.append(time.time())
            if not response.headers.get("retry-after"):
                self.tally.unavailable_without_retry_after += 1
        elif status >= 500:
            self.tally.server_errors.append(f"{what} {status} {response.text[:200]}")

    def take(self, response: httpx.Response) -> None:
        body = response.json()
        self.refresh_token, self.access_token = body["refresh_token"], body["access_token"]

    async def sign_up(self) -> None:
        while True:
            response = await self.send(
                "signup",
                "POST",
                "/api/auth/signup",
                json={"email": self.email, "password": PASSWORD, "client": "native"},
            )
            if response is not None and response.status_code == 200:
                self.take(response)
                return
            await asyncio.sleep(0.5)

    async def log_in(self) -> bool:
        response = await self.send(
            "login",
            "POST",
            "/api/auth/login",
            json={"email": self.email, "password": PASSWORD, "client": "native"},
        )
        if response is not None and response.status_code == 200:
            self.take(response)
            return True
        return False

    async def refresh(self) -> int | None:
        """A refresh; a 401 here is a false logout (the user ended nothing), then re-login."""
        response = await self.send(
            "refresh", "POST", "/api/auth/refresh", json={"refresh_token": self.refresh_token}
        )
        if response is None:
            return None
        if response.status_code == 200:
            self.take(response)
        elif response.status_code == 401:
            self.tally.false_logouts += 1
            await self.relogin()
        return response.status_code

    async def me(self) -> int | None:
        response = await self.send(
            "me", "GET", "/api/auth/me", headers={"Authorization": f"Bearer {self.access_token}"}
        )
        # A 401 means the access token expired (60 s): an app refreshes and carries on.
        if response is not None and response.status_code == 401 and await self.refresh() == 200:
            return await self.me()
        return None if response is None else response.status_code

    async def log_out_and_in(self) -> None:
        response = await self.send(
            "logout",
            "POST",
            "/api/auth/logout",
            headers={"Authorization": f"Bearer {self.access_token}"},
        )
        if response is not None and response.status_code == 401 and await self.refresh() == 200:
            response = await self.send(  # the access token had expired: refreshed, once more
                "logout",
                "POST",
                "/api/auth/logout",
                headers={"Authorization": f"Bearer {self.access_token}"},
            )
        # Ended, or perhaps ended (no answer arrived): either way the app starts afresh, so a
        # later 401 on the old token is never counted as a false logout.
        if response is None or response.status_code in (200, 204):
            await self.relogin()

    async def relogin(self) -> None:
        while not await self.log_in():
            await asyncio.sleep(0.5)

    async def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.5:
            await self.me()
        elif roll < 0.92:
            await self.refresh()
        else:
            await self.log_out_and_in()

    async def session_survives(self) -> bool:
        """The end check: the session held now refreshes and reads ``/me`` (503s retried)."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            status = await self.refresh()
            if status == 200:
                return await self.me() == 200
            if status == 401:
                return False
            await asyncio.sleep(0.2)
        return False


async def _generate_load(
    urls: list[str], users: int, think_s: float, seed: int, ready: Any, go: Event, stop: Event
) -> Tally:
    tally = Tally(users=users)
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=max(users, 10))
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        people = [
            SimulatedUser(http, urls, tally, random.Random(rng.random())) for _ in range(users)
        ]
        for person in people:
            await person.sign_up()
        ready.put("ready")
        while not go.is_set():
            await asyncio.sleep(0.05)

        async def live(person: SimulatedUser) -> None:
            await asyncio.sleep(person.rng.uniform(0, think_s))  # spread the first steps
            while not stop.is_set():
                await person.step()
                await asyncio.sleep(person.rng.uniform(0.5, 1.5) * think_s)

        await asyncio.gather(*(live(person) for person in people))
        survived = await asyncio.gather(*(person.session_survives() for person in people))
        tally.sessions_lost = survived.count(False)
    return tally


def load_generator(
    urls: list[str],
    users: int,
    think_s: float,
    seed: int,
    ready: Any,
    go: Event,
    stop: Event,
    results: Any,
) -> None:
    """One load generator process: its share of the users, its tally on ``results``."""
    tally = asyncio.run(_generate_load(urls, users, think_s, seed, ready, go, stop))
    results.put(json.dumps(tally.as_json()))


# --- the orchestrator ----------------------------------------------------------------------


def server_env(database_url: str, port: int, **overrides: str) -> dict[str, str]:
    return serve_env(
        database_url,
        port,
        secret_key=SECRET_KEY,
        allowed_origin=APP_ORIGIN,
        JOTAUTH_ISSUER=ISSUER,
        JOTAUTH_REFRESH_GRACE_PERIOD=str(GRACE_PERIOD_S),
        JOTAUTH_LOGIN_ATTEMPTS_PER_ACCOUNT="100000",
        **overrides,
    )


def rss_mb(server: ServerProcess) -> float:
    """Resident set size of the server process, in MiB (Linux ``/proc``)."""
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def wait_ready_both(servers: list[ServerProcess], since: float) -> float:
    """Seconds from ``since`` until every server's ``/readyz`` answers 200 (15 s at most)."""
    deadline = since + 15
    pending = list(servers)
    while pending and time.time() < deadline:
        pending = [s for s in pending if not _ready(s)]
        if pending:
            time.sleep(0.02)
    if pending:
        raise RuntimeError("not ready again within 15 s")
    return time.time() - since


def _ready(server: ServerProcess) -> bool:
    try:
        return httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@dataclass
class Outage:
    label: str
    began: float  # wall time
    ended: float  # the dependency back (restart command returned)
    ready_after_s: float  # from ``ended`` until every instance's /readyz is 200 again


def run(
    duration: float,
    users: int,
    workers: int,
    think_s: float,
    seed: int,
    server_settings: dict[str, str] | None = None,
) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="jotauth-soak-"))
    cluster = ThrowAwayPostgres()
    servers: list[ServerProcess] = []
    processes: list[multiprocessing.process.BaseProcess] = []
    try:
        cluster.start()
        url = cluster.create_database("jotauth")
        for name in ("a", "b"):
            (workdir / name).mkdir()
            port = free_port()
            env = server_env(url, port, **(server_settings or {}))
            servers.append(ServerProcess(env, port, workdir / name))
            servers[-1].wait_ready(timeout=60)  # one at a time: the first one migrates
        urls = [server.url for server in servers]

        context = multiprocessing.get_context("spawn")
        ready, results = context.Queue(), context.Queue()
        go, stop = context.Event(), context.Event()
        shares = [users // workers + (1 if i < users % workers else 0) for i in range(workers)]
        for index, share in enumerate(shares):
            process = context.Process(
                target=load_generator,
                args=(urls, share, think_s, seed + index, ready, go, stop, results),
            )
            process.start()
            processes.append(process)
        for _ in processes:
            ready.get(timeout=600)  # every user signed up
        rss_start = [rss_mb(server) for server in servers]
        print(f"{users} users signed up; soak of {duration:.0f}s starts", flush=True)

        started = time.time()
        go.set()
        outages: list[Outage] = []
        samples: list[str] = []

        # One instance killed (-9) and restarted after longer than the grace window.
        _sleep_sampling(started + duration * 0.35, servers, started, samples)
        killed_rss = rss_mb(servers[0])
        began = time.time()
        kill_hard(servers[0])
        time.sleep(INSTANCE_DOWN_S)
        servers[0] = restarted(servers[0])
        ended = time.time()
        outages.append(Outage("instance a killed", began, ended, wait_ready_both(servers, ended)))
        restarted_rss = rss_mb(servers[0])
        print(
            f"instance a killed and restarted: ready {outages[-1].ready_after_s:.3f}s "
            "after the restart",
            flush=True,
        )

        # PostgreSQL crashed (immediate stop) and started again.
        _sleep_sampling(started + duration * 0.65, servers, started, samples)
        began = time.time()
        cluster.stop()
        time.sleep(POSTGRES_OUTAGE_S)
        cluster.start()
        ended = time.time()
        outages.append(Outage("postgres restarted", began, ended, wait_ready_both(servers, ended)))
        ready_s = outages[-1].ready_after_s
        print(f"PostgreSQL restarted: both ready {ready_s:.3f}s after", flush=True)

        _sleep_sampling(started + duration, servers, started, samples)
        rss_end = [rss_mb(server) for server in servers]
        print(f"RSS MiB (a/b) every {RSS_SAMPLE_EVERY_S:.0f}s: {', '.join(samples)}", flush=True)
        stop.set()
        tallies = [json.loads(results.get(timeout=120)) for _ in processes]
        for process in processes:
            process.join(timeout=30)
        return report(tallies, outages, rss_start, rss_end, killed_rss, restarted_rss, duration)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
        for server in servers:
            server.stop()
        cluster.destroy()


RSS_SAMPLE_EVERY_S = 30.0


def _sleep_sampling(
    wall: float, servers: list[ServerProcess], started: float, samples: list[str]
) -> None:
    """Sleep until ``wall``, noting both servers' RSS every 30 s (to tell warm-up from a leak)."""
    while (left := wall - time.time()) > 0:
        time.sleep(min(left, RSS_SAMPLE_EVERY_S))
        sizes = "/".join(f"{rss_mb(server):.0f}" for server in servers)
        samples.append(f"{time.time() - started:.0f}s {sizes}")


def report(
    tallies: list[dict[str, Any]],
    outages: list[Outage],
    rss_start: list[float],
    rss_end: list[float],
    killed_rss: float,
    restarted_rss: float,
    duration: float,
) -> int:
    statuses: Counter[str] = Counter()
    for tally in tallies:
        statuses.update(tally["statuses"])
    total = {
        key: sum(tally[key] for tally in tallies)
        for key in (
            "lost",
            "false_logouts",
            "server_error_count",
            "unavailable_without_retry_after",
            "sessions_lost",
            "users",
        )
    }
    unavailable_at = sorted(t for tally in tallies for t in tally["unavailable_at"])
    # A 503 belongs to an outage from its start until 10 s after the dependency returned or
    # the next outage began (the last one, against the return, is the recovery reported).
    ends = [min(o.ended + 10, later.began) for o, later in itertools.pairwise(outages)]
    ends.append(outages[-1].ended + 10)
    during = {
        o.label: [t for t in unavailable_at if o.began <= t <= end]
        for o, end in zip(outages, ends, strict=True)
    }
    outside = [t for t in unavailable_at if not any(t in during[o.label] for o in outages)]
    requests = sum(statuses.values())
    print()
    print(
        f"duration {duration:.0f}s, {total['users']} users, {requests} answered requests "
        f"({requests / duration:.1f}/s), {total['lost']} with no answer after failover"
    )
    print(f"statuses: {dict(sorted(statuses.items()))}")
    print(f"sessions lost: {total['sessions_lost']}")
    print(f"false logouts: {total['false_logouts']}")
    print(f"5xx other than 503: {total['server_error_count']}")
    for tally in tallies:
        for line in tally["server_errors"]:
            print(f"  {line}")
    print(f"503 without Retry-After: {total['unavailable_without_retry_after']}")
    for outage in outages:
        late = [t - outage.ended for t in during[outage.label] if t > outage.ended]
        recovery = max(late, default=0.0)
        print(
            f"{outage.label}: down {outage.ended - outage.began:.2f}s, "
            f"503s during the outage {len(during[outage.label])}, last 503 "
            f"{recovery:.3f}s after it returned, /readyz 200 on both "
            f"{outage.ready_after_s:.3f}s after it returned"
        )
    print(f"503s outside the outages: {len(outside)}")
    print(
        f"RSS instance a: start {rss_start[0]:.1f} MiB, at kill {killed_rss:.1f} MiB; "
        f"restarted: start {restarted_rss:.1f} MiB, end {rss_end[0]:.1f} MiB"
    )
    print(f"RSS instance b: start {rss_start[1]:.1f} MiB, end {rss_end[1]:.1f} MiB")
    failed = total["sessions_lost"] or total["false_logouts"] or total["server_error_count"]
    print("SOAK FAILED" if failed else "SOAK PASSED")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600, help="seconds of traffic")
    parser.add_argument("--users", type=int, default=200, help="simulated users")
    parser.add_argument("--workers", type=int, default=2, help="load generator processes")
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between steps")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument(
        "--server-setting",
        action="append",
        default=[],
        metavar="JOTAUTH_NAME=VALUE",
        help="a setting for both servers (repeatable), e.g. to compare cache sizes",
    )
    args = parser.parse_args()
    settings = dict(item.split("=", 1) for item in args.server_setting)
    return run(args.duration, args.users, args.workers, args.think, args.seed, settings)


if __name__ == "__main__":
    sys.exit(main())
