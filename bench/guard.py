"""What the guard costs per request, measured with wrk on loopback. Figures, not a test.

One run, one machine, same worker count (one process each):

* the lessons API (FastAPI + JWTAuthMiddleware, uvicorn, 1 worker): the same lessons
  handler unprotected (``/open/lessons``: passes the middleware's path check only, and its
  ``OptionalUser`` dependency yields None), protected with one reused token (the
  verified-token cache), and protected with a fresh token on every request (each token is
  used once: a wrk Lua script cycles through pre-minted tokens); plus the handler without
  any dependency, to show FastAPI's own dependency-injection cost apart from the guard's;
* the same handler on plain Starlette (no FastAPI: the middleware's share of a request is
  larger there), same three scenarios;
* the seeds' Node stack (express + express-jwt + jwks-rsa, ``examples/node-interop``,
  1 process) with the same three scenarios;

and the protected/unprotected throughput ratio of each. All verify RS256 tokens against
keys fetched from the same JWKS endpoint on loopback.

    .venv/bin/python bench/guard.py [--duration 3] [--rounds 5] [--connections 16]
    .venv/bin/python bench/guard.py --before DIR   # also another checkout's src/, same rounds

Scenarios are interleaved for ``--rounds`` rounds of ``--duration`` seconds each; each figure
is the median over the rounds, and each ratio the median of the ratios measured within one
round (the protected run next to its own unprotected run, so both share that minute's noise).
``--before DIR`` serves the same two Python apps from ``DIR/src`` (and ``DIR/examples``) in
the same rounds, for before/after ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import httpx

from jotauth.guard.fastapi import OptionalUser

REPO = Path(__file__).resolve().parents[1]
# The lessons API is an example beside the library (examples/lessons_api.py), not part of it;
# a --before server takes it from its own tree (BENCH_EXAMPLES).
sys.path.insert(0, os.environ.get("BENCH_EXAMPLES", str(REPO / "examples")))
from lessons_api import SEED_LESSONS, Lesson, LessonCatalogue, create_lessons_app  # noqa: E402

NODE_PROJECT = REPO / "examples" / "node-interop"
ISSUER = "https://auth.bench.example"
AUDIENCE = "lessons"
KID = "bench-key"

# wrk script: each thread reads its own token file and uses each token once, in order.
CYCLE_LUA = """
local counter = 1
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  tokens = {}
  for line in io.lines(args[1] .. tid .. ".txt") do tokens[#tokens + 1] = line end
end
function request()
  local token = tokens[counter]
  counter = counter % #tokens + 1
  return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. token})
end
"""


# --- the servers ------------------------------------------------------------------------------


def create_bench_app() -> Any:
    """The lessons API plus the same list unprotected at ``/open/lessons`` (server side)."""

    app = create_lessons_app(
        jwks_url=os.environ["BENCH_JWKS_URL"], issuer=ISSUER, audience=AUDIENCE
    )
    catalogue = LessonCatalogue(SEED_LESSONS)

    # The same handler as GET /api/lessons, user dependency included (None here): the
    # difference between the two is exactly what the guard costs.
    @app.get("/open/lessons", response_model=list[Lesson])
    async def open_lessons(user: OptionalUser) -> Any:
        return catalogue.all()

    # Without any dependency: shows what FastAPI's dependency injection itself costs.
    @app.get("/open/plain", response_model=list[Lesson])
    async def open_plain() -> Any:
        return catalogue.all()

    return app


def create_starlette_bench_app() -> Any:
    """The same lessons list on plain Starlette: ``/api/lessons`` behind the middleware,
    ``/open/lessons`` outside its prefix. One handler for both, reading ``request.user``
    the Starlette way; the body is the FastAPI app's, serialised once."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from jotauth.guard import JWTAuthMiddleware
    from jotauth.verify import JWKSClient, TokenVerifier

    lessons = [lesson.model_dump() for lesson in LessonCatalogue(SEED_LESSONS).all()]

    async def list_lessons(request: Request) -> Response:
        user = request.scope.get("user")
        return JSONResponse(lessons, headers={"x-user": user.identity if user else "-"})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    verifier = TokenVerifier(
        issuer=ISSUER, audience=AUDIENCE, keys=JWKSClient(os.environ["BENCH_JWKS_URL"])
    )
    app = Starlette(
        routes=[
            Route("/api/lessons", list_lessons),
            Route("/open/lessons", list_lessons),
            Route("/healthz", health),
        ]
    )
    return JWTAuthMiddleware(app, verifier=verifier, protect=("/api",))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


@contextmanager
def jwks_endpoint(public_jwk: dict[str, Any]) -> Iterator[str]:
    """The JWKS on loopback (uvicorn in a thread of this process; fetched once per server)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def jwks(request: Any) -> JSONResponse:
        return JSONResponse({"keys": [public_jwk]}, headers={"Cache-Control": "max-age=600"})

    port = free_port()
    app = Starlette(routes=[Route("/.well-known/jwks.json", jwks)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/.well-known/jwks.json"
    wait_http(url)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Served(NamedTuple):
    """A server under test: where it listens and its process (for its CPU time)."""

    url: str
    pid: int


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far, all its threads (proc(5) stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def python_server(jwks_url: str, factory: str, tree: Path | None = None) -> Iterator[Served]:
    """``guard:<factory>`` under uvicorn; with ``tree``, jotauth and the examples come from
    that checkout (its ``src/`` first on the path), the bench module from this one."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", f"guard:{factory}",
        "--app-dir", str(Path(__file__).parent), "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    env = {**os.environ, "BENCH_JWKS_URL": jwks_url}
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(tree / "src"), env.get("PYTHONPATH", "")])
        env["BENCH_EXAMPLES"] = str(tree / "examples")
    process = subprocess.Popen(command, env=env)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        yield Served(f"http://127.0.0.1:{port}", process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def node_server(jwks_url: str) -> Iterator[Served | None]:
    if shutil.which("node") is None:
        print("node not found: skipping express-jwt", file=sys.stderr)
        yield None
        return
    if not (NODE_PROJECT / "node_modules").is_dir():
        subprocess.run(
            ["flock", "/tmp/jotauth-npm.lock", "npm", "ci", "--no-audit", "--no-fund"],
            cwd=NODE_PROJECT,
            check=True,
        )
    env = {**os.environ, "JWKS_URL": jwks_url, "ISSUER": ISSUER, "AUDIENCE": AUDIENCE}
    env["PORT"] = "0"
    process = subprocess.Popen(
        ["node", "server.js"], cwd=NODE_PROJECT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        port = json.loads(process.stdout.readline())["port"]
        yield Served(f"http://127.0.0.1:{port}", process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- tokens -----------------------------------------------------------------------------------


def _mint(args: tuple[str, int, int]) -> list[str]:
    from jotauth.jose import Key, encode

    pem, start, count = args
    key = Key.from_pem(pem.encode(), alg="RS256", kid=KID)
    now = int(time.time())
    return [
        encode(
            {
                "iss": ISSUER,
                "sub": f"user-{start + i}",
                "aud": AUDIENCE,
                "iat": now,
                "exp": now + 3600,
                "jti": uuid.uuid4().hex,
                "sid": f"session-{start + i}",
                "scope": "lessons:read",
                "roles": [],
            },
            key,
        )
        for i in range(count)
    ]


def mint_tokens(pem: str, count: int, workers: int = 2) -> list[str]:
    """``count`` distinct RS256 tokens, minted on ``workers`` processes (RSA signing is slow)."""
    share = -(-count // workers)
    jobs = [(pem, i * share, min(share, count - i * share)) for i in range(workers)]
    with ProcessPoolExecutor(workers) as pool:
        return [token for chunk in pool.map(_mint, jobs) for token in chunk]


# --- wrk ------------------------------------------------------------------------------------


@dataclass
class Figures:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    # The server process's CPU time per request: what the guard costs, far less sensitive
    # than throughput to the other processes of a shared machine.
    server_cpu_us: float = 0.0


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if match is None:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(
    url: str,
    *,
    duration: int,
    connections: int,
    threads: int,
    args: Sequence[str] = (),
    tail: Sequence[str] = (),
) -> Figures:
    """One bounded wrk run; ``tail`` goes after the URL (the Lua script's arguments)."""
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "5s",
        "--latency", *args, url, *tail,
    ]  # fmt: skip
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=duration + 30
    ).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> Figures:
    """Requests/s, p50/p99 latency and counts from ``wrk --latency`` output."""

    def find(pattern: str) -> str:
        match = re.search(pattern, output)
        if match is None:
            raise ValueError(f"unexpected wrk output:\n{output}")
        return match.group(1)

    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return Figures(
        requests_per_second=float(find(r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(find(r"\s50%\s+(\S+)")),
        p99_ms=_ms(find(r"\s99%\s+(\S+)")),
        requests=int(find(r"(\d+) requests in")),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


def write_token_files(directory: Path, tokens: Sequence[str], threads: int) -> str:
    """Split ``tokens`` into one file per wrk thread; returns the file prefix for the Lua."""
    share = len(tokens) // threads
    for tid in range(threads):
        chunk = tokens[tid * share : (tid + 1) * share]
        (directory / f"tokens-{tid}.txt").write_text("\n".join(chunk) + "\n")
    return str(directory / "tokens-")


# --- the run -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description="guard overhead per request (wrk)")
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--fresh-tokens", type=int, default=12_000,
        help="distinct tokens per round for the fresh-token runs",
    )  # fmt: skip
    parser.add_argument("--before", help="another checkout whose src/ runs as 'before'")
    parser.add_argument("--no-node", action="store_true", help="skip express-jwt")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is required (Debian package wrk)")

    from jotauth.jose import Key

    key = Key.generate("RS256", kid=KID)
    pem = key.private_pem().decode()
    started = time.monotonic()
    # One batch per round: the stacks keep separate caches (separate processes), so they
    # may share a round's tokens; a later round must not meet tokens a cache has seen.
    fresh = mint_tokens(pem, options.fresh_tokens * options.rounds)
    reused = mint_tokens(pem, 1, workers=1)[0]
    print(f"minted {len(fresh)} RS256 tokens in {time.monotonic() - started:.1f} s", flush=True)

    trees: list[tuple[str, Path | None]] = [("", None)]
    if options.before:
        trees.insert(0, ("before: ", Path(options.before).resolve()))
    results: dict[tuple[str, str], list[Figures]] = {}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as servers:
        jwks_url = servers.enter_context(jwks_endpoint(key.public_jwk()))
        stacks: dict[str, Served] = {}
        for label, tree in trees:
            for name, factory in (
                ("jotauth guard (FastAPI)", "create_bench_app"),
                ("jotauth guard (Starlette)", "create_starlette_bench_app"),
            ):
                stacks[label + name] = servers.enter_context(python_server(jwks_url, factory, tree))
        node_url = None if options.no_node else servers.enter_context(node_server(jwks_url))
        if node_url is not None:
            stacks["express-jwt + jwks-rsa"] = node_url
        auth = f"Authorization: Bearer {reused}"
        for base, _ in stacks.values():  # warm up: JWKS fetched, first-request costs paid
            for _ in range(20):
                for response in (
                    httpx.get(f"{base}/api/lessons", headers={"Authorization": f"Bearer {reused}"}),
                    httpx.get(f"{base}/open/lessons"),
                ):
                    if response.status_code != 200:
                        raise SystemExit(f"{response.url} answered {response.status_code}")
        script = Path(tmp) / "cycle.lua"
        script.write_text(CYCLE_LUA)
        for round_index in range(options.rounds):
            size = options.fresh_tokens
            chunk = fresh[round_index * size : (round_index + 1) * size]
            directory = Path(tmp) / f"round-{round_index}"
            directory.mkdir()
            prefix = write_token_files(directory, chunk, options.threads)
            for stack, (base, pid) in stacks.items():
                api = f"{base}/api/lessons"
                scenarios: dict[str, tuple[str, list[str], list[str]]] = {
                    "unprotected": (f"{base}/open/lessons", [], []),
                    "protected, reused token": (api, ["-H", auth], []),
                    # wrk hands everything after the URL to the script's init(args).
                    "protected, fresh token": (api, ["-s", str(script)], [prefix]),
                }
                if stack.startswith("jotauth"):
                    # The same bytes on the wire as the protected run, not verified: what the
                    # header costs the client, the kernel and the HTTP parser.
                    scenarios["unprotected, same header sent"] = (
                        f"{base}/open/lessons",
                        ["-H", auth],
                        [],
                    )
                if stack == "jotauth guard (FastAPI)":
                    scenarios["unprotected, no user dependency"] = (f"{base}/open/plain", [], [])
                for scenario, (url, args, tail) in scenarios.items():
                    cpu_before = cpu_seconds(pid)
                    figures = run_wrk(
                        url, duration=options.duration, connections=options.connections,
                        threads=options.threads, args=args, tail=tail,
                    )  # fmt: skip
                    spent = cpu_seconds(pid) - cpu_before
                    figures.server_cpu_us = spent / max(1, figures.requests) * 1e6
                    results.setdefault((stack, scenario), []).append(figures)
                    if scenario == "protected, fresh token" and figures.requests > len(chunk):
                        print(
                            f"note: {stack} sent {figures.requests} requests for {len(chunk)} "
                            "tokens; later ones reused tokens",
                            file=sys.stderr,
                        )
            print(f"round {round_index + 1}/{options.rounds} done", file=sys.stderr, flush=True)
    report(results, options)
    print()
    print(middleware_overhead(key, reused))


def middleware_overhead(key: Any, token: str, requests: int = 20_000) -> str:
    """The middleware alone, in-process around a do-nothing ASGI app (hot caches)."""
    import asyncio

    from jotauth.guard import JWTAuthMiddleware
    from jotauth.jose import KeySet
    from jotauth.verify import TokenVerifier

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"[]"})

    async def discard(message: Any) -> None:
        return None

    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=KeySet([key.public_key()]))
    guarded = JWTAuthMiddleware(app, verifier=verifier, protect=("/api",))
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())]

    async def per_request(target: Any, path: str) -> float:
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(requests // 5):
                scope = {"type": "http", "method": "GET", "path": path, "headers": headers}
                await target(scope, None, discard)
            best = min(best, (time.perf_counter() - started) / (requests // 5))
        return best * 1e6

    async def measure() -> tuple[float, float, float]:
        return (
            await per_request(app, "/api/lessons"),
            await per_request(guarded, "/open/lessons"),
            await per_request(guarded, "/api/lessons"),
        )

    bare, passed, protected = asyncio.run(measure())
    return (
        f"middleware in-process (hot): bare app {bare:.1f} us, unprotected path "
        f"+{passed - bare:.1f} us, protected with a cached token +{protected - bare:.1f} us"
    )


def report(results: dict[tuple[str, str], list[Figures]], options: argparse.Namespace) -> None:
    """Medians over the rounds; each ratio is the median of per-round ratios.

    ``ratio``: req/s of the scenario over req/s of its stack's unprotected run in the same
    round. ``cpu ratio``: the same from the server's CPU time per request (unprotected
    µs/request over this scenario's), the steadier figure when the machine is shared.
    """
    print()
    print(
        f"wrk -t{options.threads} -c{options.connections} -d{options.duration:g}s, "
        f"median of {options.rounds} interleaved rounds, 1 server process each, RS256"
    )
    header = (
        f"{'stack':<36} {'scenario':<32} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'ratio':>6} {'cpu us':>7} {'cpu ratio':>9}  {'cpu ratios per round'}"
    )
    print(header)
    print("-" * len(header))
    for (stack, scenario), rounds in results.items():
        baseline = results[(stack, "unprotected")]
        pairs = list(zip(rounds, baseline, strict=True))
        ratios = [f.requests_per_second / b.requests_per_second for f, b in pairs]
        cpu_ratios = [b.server_cpu_us / f.server_cpu_us for f, b in pairs if f.server_cpu_us]
        errors = sum(f.non_2xx for f in rounds)
        flag = f"  ({errors} non-2xx!)" if errors else ""
        print(
            f"{stack:<36} {scenario:<32} "
            f"{statistics.median(f.requests_per_second for f in rounds):>7.0f} "
            f"{statistics.median(f.p50_ms for f in rounds):>7.2f} "
            f"{statistics.median(f.p99_ms for f in rounds):>7.2f} "
            f"{statistics.median(ratios):>5.2f}x "
            f"{statistics.median(f.server_cpu_us for f in rounds):>7.1f} "
            f"{statistics.median(cpu_ratios) if cpu_ratios else 0:>8.2f}x  "
            f"{' '.join(f'{r:.2f}' for r in cpu_ratios)}{flag}"
        )


if __name__ == "__main__":
    main()
