"""Auth-server figures over real HTTP, each next to its limit measured in the same run.

    .venv/bin/python bench/server.py                         # the table (SQLite, PostgreSQL, peer)
    .venv/bin/python bench/server.py --before ../perf-before # ... and another tree, side by side
    .venv/bin/python bench/server.py growth --before DIR     # 1k -> 1M sessions, 100k rotations
    .venv/bin/python bench/server.py memory --before DIR     # RSS idle and under a 20 s storm
    .venv/bin/python bench/server.py count --before DIR      # statements / round trips per request
    .venv/bin/python bench/server.py profile                 # py-spy: where a refresh and /me go

The load generator is wrk with the Lua scripts in ``bench/wrk/``: a separate, compiled process,
so the Python interpreter measured is the server's alone. ``jotauth serve`` runs with the
production argon2id parameters of Settings (t=2, m=19 MiB, p=1, ``hash_workers`` threads).

Every figure is measured in interleaved rounds (round 1: every figure of every target, then
round 2, ...) and the median is printed, next to what bounds it measured in the same rounds:

* RSA-2048 PKCS#1 v1.5 signatures per second (``cryptography``, one thread),
* raw ``sqlite3`` transactions per second of a refresh's statements (one thread, the WAL file
  and pragmas of the server), and ``asyncpg`` transactions per second of the same statements
  over 16 connections,
* argon2id verifications per second on ``hash_workers`` threads,
* the Express peer (``bench/peers/express``: express + jsonwebtoken + argon2 + better-sqlite3,
  the same argon2 parameters, rotation on; its node_modules are installed on first use).

``--before DIR`` starts a second jotauth from another checkout's ``src`` (same venv) and
measures it in the same rounds: before/after ratios that share the machine's noise.

Every wrk run also reads the server process's CPU time (utime + stime from /proc) before and
after: the CPU per request served, printed beside each figure with the load average, is what
the load of other processes on the shared cores inflates least.

The machine is shared: read ratios and CPU per request, not absolute figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
JOTAUTH = str(Path(sys.executable).parent / "jotauth")
WRK = HERE / "wrk"
PEER = HERE / "peers" / "express"
PASSWORD = "correct horse battery staple"
POSTGRES_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- targets: the servers measured ------------------------------------------------------------


@dataclass
class Target:
    """One running server."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    database: str  # a SQLite path or a PostgreSQL DSN
    kind: str  # "jotauth" or "peer"
    emails: list[str] = field(default_factory=list)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"server did not start; see {log}")
        time.sleep(0.1)


def _tree_env(tree: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOTAUTH_")}
    if tree is not None:
        env["PYTHONPATH"] = str(tree / "src")
    return env


@contextlib.contextmanager
def serve_jotauth(
    name: str, database_url: str, workdir: Path, tree: Path | None = None, **extra: str
) -> Iterator[Target]:
    """``jotauth serve`` (from ``tree``'s src when given) with a permissive throttle."""
    port = _free_port()
    env = _tree_env(tree)
    env.update(
        {
            "JOTAUTH_DATABASE_URL": database_url,
            "JOTAUTH_SECRET_KEY": secrets.token_urlsafe(32),
            "JOTAUTH_ISSUER": f"http://127.0.0.1:{port}",
            "JOTAUTH_SIGNUP_ENABLED": "true",
            "JOTAUTH_LOGIN_ATTEMPTS_PER_ACCOUNT": "100000000",
            "JOTAUTH_LOGIN_ATTEMPTS_PER_IP": "100000000",
            "JOTAUTH_LOG_LEVEL": "warning",
            **extra,
        }
    )
    log = workdir / f"{name.replace(' ', '_')}-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [JOTAUTH, "serve", "--port", str(port)], env=env, cwd=workdir, stdout=out, stderr=out
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url, process, log)
            database = database_url.split("///", 1)[-1] if "sqlite" in database_url else ""
            yield Target(name, url, process, database or database_url, "jotauth")
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def install_peer() -> None:
    """``npm install`` in bench/peers/express the first time (node_modules is not committed)."""
    if (PEER / "node_modules" / "better-sqlite3").exists():
        return
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PEER, check=True
    )


@contextlib.contextmanager
def serve_peer(workdir: Path) -> Iterator[Target]:
    install_peer()
    port = _free_port()
    database = str(workdir / f"peer-{port}.db")
    log = workdir / f"peer-{port}.log"
    env = {**os.environ, "PORT": str(port), "PEER_DB": database}
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["node", str(PEER / "server.js")], env=env, cwd=workdir, stdout=out, stderr=out
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url, process, log)
            yield Target("express peer", url, process, database, "peer")
        finally:
            _stop(process)


@contextlib.contextmanager
def fresh_postgres() -> Iterator[str]:
    """A throw-away PostgreSQL database (its asyncpg SQLAlchemy URL)."""
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


# --- wrk ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    rate: float  # requests per second
    p50_ms: float
    p99_ms: float
    failed: int
    # The server process's CPU time (utime + stime of every thread, /proc) per request
    # served: robust to the load other processes put on the shared cores.
    cpu_us: float = float("nan")


def cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid`` so far (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    """The 1-minute load average, printed beside every figure (2 cores, shared)."""
    return f"{os.getloadavg()[0]:.1f}"


def wrk(
    url: str,
    script: str,
    *,
    connections: int,
    duration: float,
    env: dict[str, str],
    pid: int | None = None,
) -> Run:
    """One wrk run, one thread per connection (so a thread's Lua state is one client); with
    ``pid``, the CPU time that process spent per request."""
    cpu_before = cpu_seconds(pid) if pid is not None else 0.0
    result = subprocess.run(
        [
            "wrk",
            f"-t{connections}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-s",
            str(WRK / script),
            url,
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    cpu = cpu_seconds(pid) - cpu_before if pid is not None else float("nan")
    line = [row for row in result.stdout.splitlines() if row.startswith("{")][-1]
    data = json.loads(line)
    seconds = data["duration_us"] / 1e6
    return Run(
        rate=data["requests"] / seconds,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        failed=data["non2xx"] + data["socket_errors"],
        cpu_us=cpu / max(1, data["requests"]) * 1e6,
    )


def _signup(url: str, count: int) -> list[str]:
    emails = [f"bench-{i}-{secrets.token_hex(4)}@example.org" for i in range(count)]
    with httpx.Client(base_url=url, timeout=60) as http:
        for email in emails:
            answer = http.post(
                "/api/auth/signup", json={"email": email, "password": PASSWORD, "delivery": "body"}
            )
            answer.raise_for_status()
    return emails


async def _login_many(url: str, emails: list[str], count: int) -> list[dict[str, str]]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:

        async def one(index: int) -> dict[str, str]:
            answer = await http.post(
                "/api/auth/login",
                json={
                    "email": emails[index % len(emails)],
                    "password": PASSWORD,
                    "client": "native",
                },
            )
            answer.raise_for_status()
            return dict(answer.json())

        return list(await asyncio.gather(*(one(i) for i in range(count))))


def login_sessions(target: Target, count: int) -> list[dict[str, str]]:
    """``count`` fresh native sessions (their access and refresh tokens)."""
    if not target.emails:
        target.emails = _signup(target.url, 8)
    return asyncio.run(_login_many(target.url, target.emails, count))


def refresh_run(target: Target, workdir: Path, clients: int, duration: float) -> Run:
    tokens = [s["refresh_token"] for s in login_sessions(target, clients)]
    path = workdir / f"tokens-{secrets.token_hex(4)}"
    path.write_text("\n".join(tokens) + "\n")
    return wrk(
        target.url,
        "refresh.lua",
        connections=clients,
        duration=duration,
        env={"BENCH_TOKENS": str(path)},
        pid=target.process.pid,
    )


def me_run(target: Target, duration: float, *, refused: bool = False) -> Run:
    """GET /api/auth/me with one client; ``refused``: without credentials (401 before any
    database work), the ceiling of the HTTP stack."""
    header = ""
    if not refused:
        header = f"Authorization: Bearer {login_sessions(target, 1)[0]['access_token']}"
    run = wrk(
        target.url,
        "get.lua",
        connections=1,
        duration=duration,
        env={"BENCH_PATH": "/api/auth/me", "BENCH_HEADER": header},
        pid=target.process.pid,
    )
    return run if not refused else Run(run.rate, run.p50_ms, run.p99_ms, 0, run.cpu_us)


def login_run(target: Target, workdir: Path, duration: float) -> Run:
    if not target.emails:
        target.emails = _signup(target.url, 8)
    path = workdir / "emails"
    path.write_text("\n".join(target.emails) + "\n")
    return wrk(
        target.url,
        "login.lua",
        connections=8,
        duration=duration,
        env={"BENCH_EMAILS": str(path), "BENCH_PASSWORD": PASSWORD},
        pid=target.process.pid,
    )


# --- the limits --------------------------------------------------------------------------------


def rsa_signs_per_second(duration: float) -> float:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    message = b"x" * 400
    count, deadline = 0, time.perf_counter() + duration
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        count += 1
    return count / (time.perf_counter() - started)


def argon2_per_second(duration: float, threads: int) -> float:
    """argon2id verifications/s with the server's parameters on ``threads`` threads."""
    from argon2 import PasswordHasher

    from jotauth.settings import Settings

    defaults = Settings()
    hasher = PasswordHasher(
        time_cost=defaults.argon2_time_cost,
        memory_cost=defaults.argon2_memory_cost,
        parallelism=defaults.argon2_parallelism,
    )
    digest = hasher.hash(PASSWORD)
    counts = [0] * threads
    deadline = time.perf_counter() + duration

    def work(index: int) -> None:
        while time.perf_counter() < deadline:
            hasher.verify(digest, PASSWORD)
            counts[index] += 1

    started, cpu = time.perf_counter(), time.process_time()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    ARGON2_CPU_US.append((time.process_time() - cpu) / max(1, sum(counts)) * 1e6)
    return sum(counts) / (time.perf_counter() - started)


# CPU time per argon2id verification (this process, all threads), one entry per measurement:
# what a login cannot go below, robust to the load on the shared cores.
ARGON2_CPU_US: list[float] = []


# The statements of one refresh, as the schema has them: find the token, lock the session,
# rotate (conditional UPDATE), insert the successor, slide the session, audit, read the user.
_SEED_USER = "u" * 32


_REFRESH_STATEMENTS = (
    "SELECT * FROM refresh_tokens WHERE token_hash = :token",
    "SELECT * FROM sessions WHERE id = :sid",
    "UPDATE refresh_tokens SET state = 'rotated', rotated_at = :now, successor_hash = :succ"
    " WHERE token_hash = :token AND state = 'active'",
    "INSERT INTO refresh_tokens (token_hash, session_id, state, created_at)"
    " VALUES (:succ, :sid, 'active', :now)",
    "UPDATE sessions SET last_used_at = :now, idle_expires_at = :now WHERE id = :sid",
    "INSERT INTO audit_events (event, at, user_id, session_id)"
    f" VALUES ('refresh', :now, '{_SEED_USER}', :sid)",
    f"SELECT * FROM users WHERE id = '{_SEED_USER}'",
)


def _numbered(statement: str) -> tuple[str, list[str]]:
    """``:name`` placeholders as asyncpg's ``$n``, and the names in their order."""
    names: list[str] = []
    for name in ("token", "sid", "now", "succ"):
        if f":{name}" in statement:
            names.append(name)
            statement = statement.replace(f":{name}", f"${len(names)}")
    return statement, names


def _migrated_sqlite(path: Path) -> None:
    """A SQLite file at the schema's head (through the project's own migrations)."""
    from jotauth.settings import Settings
    from jotauth.store import open_store

    async def migrate() -> None:
        store = await open_store(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
        await store.close()

    asyncio.run(migrate())


def _seed_sqlite(conn: sqlite3.Connection, sessions: int) -> list[tuple[str, str]]:
    now = time.time()
    conn.execute(
        "INSERT OR IGNORE INTO users (id, email, name, password_hash, roles, scope, disabled,"
        " created_at, updated_at) VALUES (?, ?, '', 'x', '[]', '[]', 0, ?, ?)",
        (_SEED_USER, "limit@example.org", now, now),
    )
    pairs = [(secrets.token_hex(16), secrets.token_hex(32)) for _ in range(sessions)]
    conn.executemany(
        "INSERT INTO sessions (id, user_id, created_at, last_used_at, idle_expires_at,"
        " expires_at, user_agent, ip) VALUES (?, ?, ?, ?, ?, ?, '', '')",
        [(sid, _SEED_USER, now, now, now + 1e6, now + 1e6) for sid, _ in pairs],
    )
    conn.executemany(
        "INSERT INTO refresh_tokens (token_hash, session_id, state, created_at)"
        " VALUES (?, ?, 'active', ?)",
        [(token, sid, now) for sid, token in pairs],
    )
    return pairs


def sqlite_transactions_per_second(workdir: Path, duration: float) -> float:
    """Raw ``sqlite3`` (no pool, no ORM, one thread): refresh transactions per second."""
    path = workdir / f"limit-{secrets.token_hex(4)}.db"
    _migrated_sqlite(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("BEGIN")
    heads = _seed_sqlite(conn, 16)
    conn.execute("COMMIT")
    count, deadline = 0, time.perf_counter() + duration
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        index = count % len(heads)
        sid, token = heads[index]
        successor = secrets.token_hex(32)
        params = {"token": token, "sid": sid, "now": time.time(), "succ": successor}
        conn.execute("BEGIN IMMEDIATE")
        for statement in _REFRESH_STATEMENTS:
            conn.execute(statement, params).fetchall()
        conn.execute("COMMIT")
        heads[index] = (sid, successor)
        count += 1
    conn.close()
    return count / (time.perf_counter() - started)


async def _asyncpg_transactions(dsn: str, duration: float, connections: int) -> float:
    import asyncpg

    pool = await asyncpg.create_pool(dsn, min_size=connections, max_size=connections)
    assert pool is not None
    try:
        async with pool.acquire() as conn:
            heads = await conn.fetch(
                "SELECT s.id, t.token_hash FROM sessions s JOIN refresh_tokens t"
                " ON t.session_id = s.id WHERE t.state = 'active' AND s.user_id = $1",
                _SEED_USER,
            )
        chains = [[row["id"], row["token_hash"]] for row in heads]
        statements = [_numbered(statement) for statement in _REFRESH_STATEMENTS]
        statements[1] = (statements[1][0] + " FOR UPDATE", statements[1][1])
        done = [0]
        deadline = time.perf_counter() + duration

        async def worker(chain: list[str]) -> None:
            async with pool.acquire() as conn:
                while time.perf_counter() < deadline:
                    sid, token = chain
                    successor = secrets.token_hex(32)
                    params = {"token": token, "sid": sid, "now": time.time(), "succ": successor}
                    async with conn.transaction():
                        for statement, names in statements:
                            await conn.fetch(statement, *(params[n] for n in names))
                    chain[1] = successor
                    done[0] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(chain) for chain in chains[:connections]))
        return done[0] / (time.perf_counter() - started)
    finally:
        await pool.close()


def asyncpg_transactions_per_second(dsn: str, duration: float, connections: int = 16) -> float:
    return asyncio.run(_asyncpg_transactions(dsn, duration, connections))


def _seed_postgres(sqlalchemy_url: str, sessions: int) -> str:
    """Seed ``sessions`` sessions of one user (one active token each); returns an asyncpg DSN."""
    import asyncpg

    dsn = sqlalchemy_url.replace("postgresql+asyncpg", "postgresql")

    async def seed() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            now = time.time()
            await conn.execute(
                "INSERT INTO users (id, email, name, password_hash, roles, scope, disabled,"
                " created_at, updated_at) VALUES ($1, $2, '', 'x', '[]', '[]', false, $3, $3)"
                " ON CONFLICT DO NOTHING",
                _SEED_USER,
                f"limit-{secrets.token_hex(3)}@example.org",
                now,
            )
            await conn.execute(
                "INSERT INTO sessions (id, user_id, created_at, last_used_at, idle_expires_at,"
                " expires_at, user_agent, ip) SELECT md5(random()::text || g), $1,"
                " $2::float8, $2::float8, $2::float8 + 1e6, $2::float8 + 1e6, '', ''"
                " FROM generate_series(1, $3) g",
                _SEED_USER,
                now,
                sessions,
            )
            await conn.execute(
                "INSERT INTO refresh_tokens (token_hash, session_id, state, created_at)"
                " SELECT md5(random()::text || id) || md5(id), id, 'active', $1 FROM sessions"
                " WHERE user_id = $2 AND NOT EXISTS (SELECT 1 FROM refresh_tokens t"
                " WHERE t.session_id = sessions.id)",
                now,
                _SEED_USER,
            )
        finally:
            await conn.close()

    asyncio.run(seed())
    return dsn


# --- the table ---------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


class Figures:
    """Samples per (figure, target), medians at the end."""

    def __init__(self) -> None:
        self.samples: dict[tuple[str, str], list[float]] = {}
        self.failures: dict[tuple[str, str], int] = {}
        self.loads: list[float] = []  # the 1-minute load average after each round

    def record(self, figure: str, target: str, run: Run) -> None:
        """A wrk run's rate, p50 and server CPU per request as ``figure``, ``figure_p50``
        and ``figure_cpu``; the load average when it ended as ``figure_load``."""
        self.add(figure, target, run.rate, run.failed)
        self.add(f"{figure}_p50", target, run.p50_ms)
        self.add(f"{figure}_cpu", target, run.cpu_us)
        self.add(f"{figure}_load", target, os.getloadavg()[0])

    def add(self, figure: str, target: str, value: float, failed: int = 0) -> None:
        self.samples.setdefault((figure, target), []).append(value)
        self.failures[(figure, target)] = self.failures.get((figure, target), 0) + failed

    def get(self, figure: str, target: str) -> float:
        return _median(self.samples.get((figure, target), []))

    def note(self, figure: str, target: str) -> str:
        failed = self.failures.get((figure, target), 0)
        return f" ({failed} failed)" if failed else ""


def run_table(args: argparse.Namespace) -> None:
    from jotauth.settings import Settings

    defaults = Settings()
    duration = args.duration
    trees: list[tuple[str, Path | None]] = [("after", None)]
    if args.before:
        trees.insert(0, ("before", Path(args.before).resolve()))
    print(
        f"argon2id t={defaults.argon2_time_cost} m={defaults.argon2_memory_cost} KiB"
        f" p={defaults.argon2_parallelism}, hash_workers={defaults.hash_workers},"
        f" {os.cpu_count()} CPUs, {args.rounds} interleaved rounds of {duration:.0f} s, medians"
    )
    figures = Figures()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        targets: list[Target] = []
        pg_dsn = ""
        for label, tree in trees:
            targets.append(
                stack.enter_context(
                    serve_jotauth(
                        f"{label} SQLite",
                        f"sqlite+aiosqlite:///{workdir}/{label}.db",
                        workdir,
                        tree,
                    )
                )
            )
            if not args.sqlite_only:
                database = stack.enter_context(fresh_postgres())
                targets.append(
                    stack.enter_context(
                        serve_jotauth(f"{label} PostgreSQL", database, workdir, tree)
                    )
                )
                pg_dsn = pg_dsn or _seed_postgres(database, 16)
        if not args.no_peer:
            targets.append(stack.enter_context(serve_peer(workdir)))
        for target in targets:  # warm up: imports, statement caches, the JIT of the peer
            refresh_run(target, workdir, 4, 1)
            me_run(target, 1)
        for round_number in range(args.rounds):
            print(f"round {round_number + 1}/{args.rounds}", file=sys.stderr, flush=True)
            figures.add("rsa", "limit", rsa_signs_per_second(min(duration, 2)))
            figures.add(
                "sqlite_tx", "limit", sqlite_transactions_per_second(workdir, min(duration, 3))
            )
            if pg_dsn:
                figures.add(
                    "pg_tx", "limit", asyncpg_transactions_per_second(pg_dsn, min(duration, 3))
                )
            figures.add(
                "argon2", "limit", argon2_per_second(min(duration, 3), defaults.hash_workers)
            )
            order = targets if round_number % 2 == 0 else targets[::-1]
            for target in order:
                figures.record("refresh16", target.name, refresh_run(target, workdir, 16, duration))
                figures.record("refresh1", target.name, refresh_run(target, workdir, 1, duration))
                figures.record("me1", target.name, me_run(target, duration))
                figures.record("me_refused", target.name, me_run(target, duration, refused=True))
                if "PostgreSQL" not in target.name:
                    figures.record("login8", target.name, login_run(target, workdir, duration))
            figures.loads.append(os.getloadavg()[0])
        print_table(figures, targets)


def print_table(figures: Figures, targets: list[Target]) -> None:
    names = [t.name for t in targets]
    rsa, sqlite_tx, pg_tx, argon = (
        figures.get("rsa", "limit"),
        figures.get("sqlite_tx", "limit"),
        figures.get("pg_tx", "limit"),
        figures.get("argon2", "limit"),
    )
    loads = ", ".join(f"{load:.1f}" for load in figures.loads)
    print(
        f"\nlimits: RSA-2048 sign {rsa:,.0f}/s, raw sqlite3 refresh tx {sqlite_tx:,.0f}/s,"
        f" asyncpg refresh tx x16 {pg_tx:,.0f}/s, argon2id x{2} {argon:,.1f}/s"
        f"; load average after each round: {loads}"
    )
    peer = figures.get("refresh16", "express peer") if "express peer" in names else float("nan")
    print(
        "\n| figure | target | value | server CPU µs/req | load | limit or peer, same run | ratio |"
        "\n|---|---|---|---|---|---|---|"
    )
    for name in names:
        if name == "express peer":
            continue
        sqlite = "SQLite" in name
        limit = min(rsa, sqlite_tx) if sqlite else pg_tx
        label = "min(RSA sign, sqlite3 tx)" if sqlite else "asyncpg tx x16"
        rows = [
            ("refresh16", "refresh/s x16", limit, label),
            ("refresh16", "refresh/s x16", peer, "express peer"),
            ("refresh1", "refresh/s x1", float("nan"), ""),
            ("refresh1_p50", "refresh p50 x1 (ms)", float("nan"), ""),
            (
                "me1",
                "/me/s x1",
                figures.get("me_refused", name),
                "same request refused before any DB work",
            ),
        ]
        if sqlite:
            rows.append(("login8", "login/s x8", argon, "argon2id limit"))
        for key, figure, bound, bound_label in rows:
            got = figures.get(key, name)
            base = key.removesuffix("_p50")
            cpu = figures.get(f"{base}_cpu", name) if key == base else float("nan")
            load = figures.get(f"{base}_load", name)
            ratio = f"{got / bound:.2f}" if bound == bound and bound else "—"
            shown = f"{bound:,.1f} ({bound_label})" if bound == bound else "—"
            print(
                f"| {figure} | {name} | {got:,.1f}{figures.note(key, name)} | {_cell(cpu)}"
                f" | {load:.1f} | {shown} | {ratio} |"
            )
    if "express peer" in names:
        for figure in ("refresh16", "refresh1", "refresh1_p50", "me1", "login8"):
            base = figure.removesuffix("_p50")
            cpu = figures.get(f"{base}_cpu", "express peer") if figure == base else float("nan")
            print(
                f"| {figure} | express peer | {figures.get(figure, 'express peer'):,.1f}"
                f" | {_cell(cpu)} | {figures.get(f'{base}_load', 'express peer'):.1f} | | |"
            )
    befores = [n for n in names if n.startswith("before ")]
    if befores:
        print(
            "\n| figure | backend | before | after | after / before | CPU µs/req before → after |"
            "\n|---|---|---|---|---|---|"
        )
        for before in befores:
            after = "after " + before.removeprefix("before ")
            for figure in ("refresh16", "refresh1", "refresh1_p50", "me1", "login8"):
                b, a = figures.get(figure, before), figures.get(figure, after)
                base = figure.removesuffix("_p50")
                cpu = ""
                if figure == base:
                    cpu = (
                        f"{_cell(figures.get(f'{base}_cpu', before))} →"
                        f" {_cell(figures.get(f'{base}_cpu', after))}"
                    )
                if b == b and a == a and b:
                    print(
                        f"| {figure} | {before.removeprefix('before ')} | {b:,.2f} | {a:,.2f}"
                        f" | {a / b:.2f} | {cpu} |"
                    )
    argon_cpu = _median(ARGON2_CPU_US)
    print(f"\nargon2id verification: {argon_cpu:,.0f} µs CPU each (median of the rounds)")
    for name in names:
        login_cpu = figures.get("login8_cpu", name)
        if login_cpu == login_cpu:
            print(
                f"login CPU efficiency, {name}: argon2 CPU ÷ server CPU per login ="
                f" {argon_cpu / login_cpu:.2f} ({login_cpu:,.0f} µs per login)"
            )
    failures = {k: v for k, v in figures.failures.items() if v}
    if failures:
        print(f"\nnon-2xx or socket errors: {failures}")


def _cell(value: float) -> str:
    return f"{value:,.0f}" if value == value else "—"


# --- growth ------------------------------------------------------------------------------------


def _bulk_sessions_sqlite(path: str, count: int) -> float:
    """Add ``count`` live sessions of the bench's seed user, each with its active refresh
    token and its ``login`` audit row, generated inside SQLite in one transaction (no
    HTTP, no Python loop: a million take seconds). Returns the seconds it took."""
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None, timeout=60)
    now = time.time()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT OR IGNORE INTO users (id, email, name, password_hash, roles, scope, disabled,"
        " created_at, updated_at) VALUES (?, 'growth@example.org', '', 'x', '[]', '[]', 0, ?, ?)",
        (_SEED_USER, now, now),
    )
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS bulk (id TEXT PRIMARY KEY, token TEXT)")
    conn.execute("DELETE FROM bulk")
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
        " INSERT INTO bulk SELECT lower(hex(randomblob(16))), lower(hex(randomblob(32))) FROM n",
        (count,),
    )
    conn.execute(
        "INSERT INTO sessions (id, user_id, created_at, last_used_at, idle_expires_at,"
        " expires_at, user_agent, ip) SELECT id, ?, ?, ?, ?, ?, 'bench', '127.0.0.1' FROM bulk",
        (_SEED_USER, now, now, now + 1e6, now + 1e6),
    )
    conn.execute(
        "INSERT INTO refresh_tokens (token_hash, session_id, state, created_at)"
        " SELECT token, id, 'active', ? FROM bulk",
        (now,),
    )
    conn.execute(
        "INSERT INTO audit_events (event, at, user_id, session_id, ip)"
        " SELECT 'login', ?, ?, id, '127.0.0.1' FROM bulk",
        (now, _SEED_USER),
    )
    conn.execute("DELETE FROM bulk")
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def _bulk_history_sqlite(path: str, session_id: str, head_hash: str, count: int) -> float:
    """Put ``count`` rotated rows behind the session's head token, used a day ago (as a
    long-lived session has them), generated inside SQLite. Returns the seconds it took."""
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None, timeout=60)
    old = time.time() - 86400
    conn.execute("BEGIN IMMEDIATE")
    # Row i's successor is row i + 1; the newest row's successor is the head token. Digests
    # are a random prefix and the row number (unique across sessions and runs).
    prefix = secrets.token_hex(16)
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
        " INSERT INTO refresh_tokens (token_hash, session_id, state, created_at, rotated_at,"
        " successor_hash) SELECT ? || printf('%032x', i), ?, 'rotated', ?, ?,"
        " CASE WHEN i = ? THEN ? ELSE ? || printf('%032x', i + 1) END FROM n",
        (count, prefix, session_id, old, old, count, head_hash, prefix),
    )
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def _session_of(path: str, refresh_token: str) -> tuple[str, str]:
    """The session id and the token's digest (as the server stores it)."""
    digest = hashlib.sha256(refresh_token.encode()).hexdigest()
    conn = sqlite3.connect(path)
    try:
        row = conn.execute(
            "SELECT session_id FROM refresh_tokens WHERE token_hash = ?", (digest,)
        ).fetchone()
    finally:
        conn.close()
    if row is None:
        raise RuntimeError("refresh token digest not found: the bench's hash differs")
    return str(row[0]), digest


def _say(line: str) -> None:
    """A figure, printed (and flushed) as soon as it is measured."""
    print(line, flush=True)


def run_growth(args: argparse.Namespace) -> None:
    """Refresh and ``/me`` as the store grows: sessions 1k -> 1M, one session's history
    10 -> 100k rotations, and how long a purge keeps a writer waiting. Every figure is printed
    when measured; the summary table follows."""
    trees: list[tuple[str, Path | None]] = [("after", None)]
    if args.before:
        trees.insert(0, ("before", Path(args.before).resolve()))
    duration = args.duration
    results: dict[tuple[str, str], list[float]] = {}

    def note(figure: str, target: Target, value: float, cpu: float) -> None:
        results.setdefault((figure, target.name), []).append(value)
        results.setdefault((f"{figure} CPU µs/req", target.name), []).append(cpu)
        _say(
            f"  {target.name}: {figure} = {value:,.2f} (server CPU {cpu:,.0f} µs/req,"
            f" load {load_average()})"
        )

    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        targets = [
            stack.enter_context(
                serve_jotauth(
                    f"{label} SQLite", f"sqlite+aiosqlite:///{workdir}/{label}.db", workdir, tree
                )
            )
            for label, tree in trees
        ]
        for target in targets:
            refresh_run(target, workdir, 4, 1)
        seeded = dict.fromkeys((t.name for t in targets), 0)
        for size in args.sizes:
            for target in targets:
                if seeded[target.name] < size:
                    took = _bulk_sessions_sqlite(target.database, size - seeded[target.name])
                    seeded[target.name] = size
                    _say(f"{target.name}: {size:,} sessions in the store ({took:.1f} s to add)")
            for round_number in range(args.rounds):
                for target in targets if round_number % 2 == 0 else targets[::-1]:
                    run = refresh_run(target, workdir, 16, duration)
                    note(f"refresh/s x16 @{size:,} sessions", target, run.rate, run.cpu_us)
                    run = me_run(target, duration)
                    note(f"/me/s x1 @{size:,} sessions", target, run.rate, run.cpu_us)
        for history in args.rotations:
            for round_number in range(args.rounds):
                for target in targets if round_number % 2 == 0 else targets[::-1]:
                    session = login_sessions(target, 1)[0]
                    sid, head = _session_of(target.database, session["refresh_token"])
                    took = _bulk_history_sqlite(target.database, sid, head, history)
                    _say(f"{target.name}: a session with {history:,} rotations ({took:.1f} s)")
                    path = workdir / f"tokens-{secrets.token_hex(4)}"
                    path.write_text(session["refresh_token"] + "\n")
                    run = wrk(
                        target.url,
                        "refresh.lua",
                        connections=1,
                        duration=duration,
                        env={"BENCH_TOKENS": str(path)},
                        pid=target.process.pid,
                    )
                    note(
                        f"refresh p50 x1 (ms) @{history:,} rotations",
                        target,
                        run.p50_ms,
                        run.cpu_us,
                    )
                    note(f"refresh/s x1 @{history:,} rotations", target, run.rate, run.cpu_us)
        for index, target in enumerate(targets):
            for line in purge_probe(target.database, trees[index][1], workdir).splitlines():
                _say(f"{target.name}: purge, {line}")
    print("\n| figure | " + " | ".join(t.name for t in targets) + " |")
    print("|---|" + "---|" * len(targets))
    for figure in dict.fromkeys(f for f, _ in results):
        row = [_median(results[(figure, t.name)]) for t in targets]
        print(f"| {figure} | " + " | ".join(f"{v:,.2f}" for v in row) + " |")


def purge_probe(database: str, tree: Path | None, workdir: Path, expired: int = 100_000) -> str:
    """Expire ``expired`` sessions and audit events, purge them with the tree's code while
    writers probe the lock every millisecond: the longest a writer was kept waiting, beside
    bare ``sqlite3`` doing the same session deletes (probes/purge.py)."""
    result = subprocess.run(
        [sys.executable, str(HERE / "probes" / "purge.py"), database, str(expired)],
        env=_tree_env(tree),
        capture_output=True,
        text=True,
        cwd=workdir,
    )
    return result.stdout.strip() or result.stderr.strip().splitlines()[-1]


# --- memory ------------------------------------------------------------------------------------


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _sample_rss(pid: int, stop: threading.Event, samples: list[float]) -> None:
    while not stop.is_set():
        samples.append(_rss_mib(pid))
        time.sleep(0.25)


def run_memory(args: argparse.Namespace) -> None:
    trees: list[tuple[str, Path | None]] = [("after", None)]
    if args.before:
        trees.insert(0, ("before", Path(args.before).resolve()))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for label, tree in trees:
            with serve_jotauth(
                f"{label} SQLite", f"sqlite+aiosqlite:///{workdir}/{label}.db", workdir, tree
            ) as target:
                refresh_run(target, workdir, 4, 2)
                time.sleep(1)
                idle = _rss_mib(target.process.pid)
                peak = [idle]
                stop = threading.Event()

                sampler = threading.Thread(
                    target=_sample_rss, args=(target.process.pid, stop, peak)
                )
                sampler.start()
                run = refresh_run(target, workdir, 16, 20)
                stop.set()
                sampler.join()
                time.sleep(1)
                after = _rss_mib(target.process.pid)
                print(
                    f"{label}: RSS idle {idle:.1f} MiB, peak during a 20 s refresh storm x16"
                    f" {max(peak):.1f} MiB ({run.rate:,.0f}/s), 1 s after {after:.1f} MiB"
                )


# --- statements and round trips ----------------------------------------------------------------


def run_count(args: argparse.Namespace) -> None:
    trees: list[tuple[str, Path | None]] = [("after", None)]
    if args.before:
        trees.insert(0, ("before", Path(args.before).resolve()))
    with tempfile.TemporaryDirectory() as tmp:
        for label, tree in trees:
            urls = [("SQLite", f"sqlite+aiosqlite:///{tmp}/{label}-count.db")]
            with contextlib.ExitStack() as stack:
                if not args.sqlite_only:
                    urls.append(("PostgreSQL", stack.enter_context(fresh_postgres())))
                for backend, url in urls:
                    result = subprocess.run(
                        [sys.executable, str(HERE / "probes" / "count.py"), url],
                        env=_tree_env(tree),
                        capture_output=True,
                        text=True,
                        cwd=tmp,
                    )
                    out = result.stdout.strip() or result.stderr.strip()
                    for line in out.splitlines():
                        print(f"{label} {backend} {line}")


# --- profile ----------------------------------------------------------------------------------

# Where a sample's time goes: the innermost frame whose file matches one of these (so a
# SQLAlchemy call made from jotauth counts as SQLAlchemy, and FastAPI as FastAPI only for its
# own code); a sample with no such frame is "other".
_BUCKETS = (
    ("RSA/ECDSA signing and verifying (cryptography)", ("cryptography/", "jose/")),
    ("sqlite3 / asyncpg driver", ("sqlite3/", "asyncpg/", "aiosqlite/")),
    ("SQLAlchemy (statements, results, pool)", ("sqlalchemy/",)),
    ("argon2", ("argon2/",)),
    ("pydantic (validation, serialisation)", ("pydantic",)),
    ("JSON", ("json/",)),
    ("logging", ("logging/", "jsonlog.py")),
    ("prometheus metrics", ("prometheus_client/",)),
    ("FastAPI routing and dependencies", ("fastapi/",)),
    ("Starlette (requests, responses, middleware)", ("starlette/",)),
    ("uvicorn + HTTP parser", ("uvicorn/", "httptools/", "h11/")),
    ("threads and futures", ("concurrent/", "threading.py", "queue.py")),
    ("asyncio event loop", ("asyncio/", "uvloop/", "selectors.py")),
    ("jotauth (our own code)", ("jotauth/",)),
)


def _bucket(stack: str) -> str:
    """The layer of a sample's innermost frame that belongs to one (its own time)."""
    for frame in reversed(stack.split(";")):
        for label, needles in _BUCKETS:
            if any(needle in frame for needle in needles):
                return label
    return "other"


def profile_breakdown(raw: Path) -> list[tuple[str, float]]:
    """py-spy's raw (collapsed) stacks as the share of samples per bucket, largest first."""
    counts: dict[str, int] = {}
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            label = _bucket(stack)
            counts[label] = counts.get(label, 0) + int(count)
    total = sum(counts.values()) or 1
    return sorted(((k, v / total) for k, v in counts.items()), key=lambda kv: -kv[1])


def run_profile(args: argparse.Namespace) -> None:
    """py-spy attached to one server while wrk drives one route; samples bucketed by layer,
    beside the server CPU per request of the same run."""
    spy = Path(sys.executable).parent / "py-spy"
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        urls = [("SQLite", f"sqlite+aiosqlite:///{workdir}/profile.db")]
        if not args.sqlite_only:
            urls.append(("PostgreSQL", stack.enter_context(fresh_postgres())))
        for backend, url in urls:
            with serve_jotauth(f"profile {backend}", url, workdir) as target:
                refresh_run(target, workdir, 4, 1)
                me_run(target, 1)
                for route in ("refresh", "me"):
                    raw = workdir / f"{backend}-{route}.txt"
                    spy_run = subprocess.Popen(
                        [
                            str(spy),
                            "record",
                            "--pid",
                            str(target.process.pid),
                            "--format",
                            "raw",
                            "--rate",
                            "250",
                            "--duration",
                            str(round(args.duration)),
                            "--gil",
                            "--nonblocking",
                            "--output",
                            str(raw),
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    time.sleep(0.5)
                    if route == "refresh":
                        run = refresh_run(target, workdir, 16, args.duration)
                    else:
                        run = me_run(target, args.duration)
                    spy_run.wait()
                    print(
                        f"\n{route} on {backend}: {run.rate:,.0f}/s, server CPU {run.cpu_us:,.0f}"
                        f" µs/request, load {load_average()}; py-spy --gil, share of samples:",
                        flush=True,
                    )
                    for label, share in profile_breakdown(raw):
                        print(f"  {share * 100:5.1f}%  {label}  (~{share * run.cpu_us:,.0f} µs)")
                    if args.keep:
                        kept = Path(args.keep) / raw.name
                        kept.parent.mkdir(parents=True, exist_ok=True)
                        kept.write_text(raw.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "command",
        nargs="?",
        default="table",
        choices=("table", "growth", "memory", "count", "profile"),
    )
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per figure")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", help="another checkout whose src/ runs as 'before'")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 1_000_000])
    parser.add_argument("--rotations", type=int, nargs="+", default=[10, 100_000])
    parser.add_argument("--keep", help="profile: a directory to keep py-spy's raw stacks in")
    args = parser.parse_args()
    commands = {
        "table": run_table,
        "growth": run_growth,
        "memory": run_memory,
        "count": run_count,
        "profile": run_profile,
    }
    commands[args.command](args)


if __name__ == "__main__":
    main()
