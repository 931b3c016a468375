"""``/oauth2/token`` next to the first-party refresh endpoint, in one run. Figures, not a test.

    .venv/bin/python bench/oauth_token.py                 # SQLite, 5 s per phase
    .venv/bin/python bench/oauth_token.py --postgres      # a throw-away PostgreSQL database
    .venv/bin/python bench/oauth_token.py --duration 10 --connections 8

One ``jotauth serve`` (production mode, one process, RS256), and wrk as the load generator,
a separate C process with Lua scripts, so no Python load generator shares the server's
interpreter. Each phase runs for the same duration with the same connections:

* ``POST /api/auth/refresh`` (first party, JSON ``refresh_token``): every request rotates
  the session's refresh token; each wrk connection chains its own session (the Lua reads
  the new token from the response), so no token is ever presented twice. It runs first and
  again last (on fresh sessions), bracketing the OAuth phases.
* ``POST /oauth2/token`` ``grant_type=refresh_token`` (a confidential first-party client,
  ``client_secret_basic``, scope ``openid``): the same rotation machinery plus the client
  check, the grant record and an ID token.
* ``POST /oauth2/token`` ``grant_type=authorization_code``: codes are minted first by wrk
  (``GET /oauth2/authorize`` with the browser's access cookie, the Lua keeping each code
  from the ``Location`` header), then each is exchanged exactly once (PKCE S256 verified,
  a new session, access and ID token signed). Codes live 60 s, so minting runs right before.

Only successful answers (2xx; the 302 with a code when minting) count towards the figures;
failures are printed beside them. The
server and wrk share this machine's cores, so the figures are machine-dependent.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from jotauth.oauth.pkce import s256_challenge

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the server harness and throw-away databases of tests/support

from tests.support.databases import fresh_postgres_database  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.serve import JOTAUTH, ServerProcess, serve_env, stop_process  # noqa: E402

EMAIL = "bench@example.com"
PASSWORD = "correct horse battery staple"
REDIRECT_URI = "https://bench.example/callback"

# Every wrk thread learns its number in setup(), so it reads and writes its own files.
_THREAD_IDS = """
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
"""

# GET /oauth2/authorize with the browser's cookie; each code in the Location goes to a file.
MINT_LUA = (
    _THREAD_IDS
    + """
function init(args)
  out = io.open(args[1] .. tid .. ".txt", "w")
  path, cookie = args[2], args[3]
end
function request()
  return wrk.format("GET", path, {["Cookie"] = cookie})
end
function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  local code = location:match("[?&]code=([^&]+)")
  if code then out:write(code, "\\n"); out:flush() end
end
"""
)

# Each minted code once, then (codes used up) a code that cannot exist: a counted failure.
EXCHANGE_LUA = (
    _THREAD_IDS
    + """
function init(args)
  codes, used = {}, 0
  for line in io.lines(args[1] .. tid .. ".txt") do codes[#codes + 1] = line end
  basic, rest = args[2], args[3]
end
function request()
  used = used + 1
  local body = "grant_type=authorization_code&code=" .. (codes[used] or "used-up") .. rest
  return wrk.format("POST", "/oauth2/token", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic " .. basic,
  }, body)
end
"""
)

# One chain per connection (threads == connections, so a response always comes before the
# next request): the refresh token of each answer is the one the next request presents.
REFRESH_LUA = (
    _THREAD_IDS
    + """
function init(args)
  for line in io.lines(args[1] .. tid .. ".txt") do token = line end
  mode, basic = args[2], args[3]
end
function request()
  if mode == "oauth" then
    return wrk.format("POST", "/oauth2/token", {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Authorization"] = "Basic " .. basic,
    }, "grant_type=refresh_token&refresh_token=" .. token)
  end
  return wrk.format("POST", "/api/auth/refresh", {["Content-Type"] = "application/json"},
    '{"refresh_token":"' .. token .. '"}')
end
function response(status, headers, body)
  local next_token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if next_token then token = next_token end
end
"""
)


@dataclass(frozen=True)
class Phase:
    """One wrk run: 2xx answers per second, latency percentiles, failures."""

    name: str
    ok_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    failures: int


@dataclass(frozen=True)
class Provider:
    """The running server and what the phases need from it."""

    server: ServerProcess
    client_id: str
    basic: str  # base64 of client_id:client_secret
    cookie: str  # the browser's access cookie, "name=value"


def _wrk(url: str, script: Path, args: list[str], *, duration: int, connections: int) -> str:
    command = [
        "wrk", f"-t{connections}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
        "--latency", "-s", str(script), url, *args,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    if done.returncode != 0 or done.stderr.strip():
        # A Lua error is printed, not raised, by wrk: show it rather than an empty figure.
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stderr}\n{done.stdout}")
    return done.stdout


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _parse(name: str, output: str) -> Phase:
    def find(pattern: str) -> str:
        match = re.search(pattern, output)
        if match is None:
            raise ValueError(f"unexpected wrk output:\n{output}")
        return match.group(1)

    def ms(text: str) -> float:
        value = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
        if value is None:
            raise ValueError(f"unexpected wrk latency {text!r}")
        return float(value.group(1)) * _UNITS[value.group(2)]

    requests = int(find(r"(\d+) requests in"))
    seconds = float(find(r"requests in ([\d.]+)s"))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*?timeout (\d+)", output)
    failures = (int(non_2xx.group(1)) if non_2xx else 0) + (int(errors.group(1)) if errors else 0)
    return Phase(
        name=name,
        ok_per_second=(requests - failures) / seconds,
        p50_ms=ms(find(r"\s50%\s+(\S+)")),
        p99_ms=ms(find(r"\s99%\s+(\S+)")),
        requests=requests,
        failures=failures,
    )


@contextlib.contextmanager
def _provider(database_url: str, workdir: Path) -> Iterator[Provider]:
    port = free_port()
    env = serve_env(
        database_url,
        port,
        secret_key=secrets.token_urlsafe(32),
        allowed_origin="http://app.bench.localhost",
        JOTAUTH_ACCESS_TOKEN_TTL="900",  # the browser cookie outlives the run
        JOTAUTH_LOGIN_ATTEMPTS_PER_ACCOUNT="100000",
    )
    server = ServerProcess(env, port, workdir)
    try:
        server.wait_ready(timeout=120)
        registered = server.cli(
            "clients", "add", "bench web app", "--confidential", "--first-party",
            "--redirect-uri", REDIRECT_URI,
        )  # fmt: skip
        if registered.returncode != 0:
            raise RuntimeError(registered.stderr)
        printed = httpx.Response(200, content=registered.stdout).json()
        client_id, secret = printed["client_id"], printed["client_secret"]
        signed_up = httpx.post(
            f"{server.url}/api/auth/signup", json={"email": EMAIL, "password": PASSWORD}
        )
        signed_up.raise_for_status()
        # Read from Set-Cookie: a Secure cookie never goes back over plain HTTP from a jar.
        cookie = next(
            header.split(";", 1)[0]
            for header in signed_up.headers.get_list("set-cookie")
            if "access" in header.split("=", 1)[0]
        )
        yield Provider(
            server=server,
            client_id=client_id,
            basic=base64.b64encode(f"{client_id}:{secret}".encode()).decode(),
            cookie=cookie,
        )
    finally:
        stop_process(server.process)


def _authorize_path(provider: Provider, verifier: str) -> str:
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        "state": "bench",
        "code_challenge": s256_challenge(verifier),
        "code_challenge_method": "S256",
    }
    return "/oauth2/authorize?" + urlencode(query)


def _first_party_refresh_tokens(provider: Provider, count: int) -> list[str]:
    tokens = []
    for _ in range(count):
        login = httpx.post(
            f"{provider.server.url}/api/auth/login",
            json={"email": EMAIL, "password": PASSWORD, "delivery": "body", "client": "native"},
        )
        login.raise_for_status()
        tokens.append(login.json()["refresh_token"])
    return tokens


def _oauth_refresh_tokens(provider: Provider, count: int, verifier: str) -> list[str]:
    tokens = []
    with httpx.Client(base_url=provider.server.url) as http:
        for _ in range(count):
            answer = http.get(
                _authorize_path(provider, verifier), headers={"Cookie": provider.cookie}
            )
            code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
            issued = http.post(
                "/oauth2/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT_URI,
                    "code_verifier": verifier,
                },
                headers={"Authorization": f"Basic {provider.basic}"},
            )
            issued.raise_for_status()
            tokens.append(issued.json()["refresh_token"])
    return tokens


def _write_per_thread(directory: Path, stem: str, tokens: list[str]) -> str:
    for tid, token in enumerate(tokens):
        (directory / f"{stem}-{tid}.txt").write_text(token + "\n")
    return str(directory / f"{stem}-")


def run(database_url: str, *, duration: int, connections: int, workdir: Path) -> list[Phase]:
    """Start the server, run the four phases, return the figures."""
    verifier = secrets.token_urlsafe(48)
    rest = "&" + urlencode({"redirect_uri": REDIRECT_URI, "code_verifier": verifier})
    scripts = {"mint": MINT_LUA, "exchange": EXCHANGE_LUA, "refresh": REFRESH_LUA}
    for name, text in scripts.items():
        (workdir / f"{name}.lua").write_text(text)
    with _provider(database_url, workdir) as provider:
        url = provider.server.url
        first_party = _write_per_thread(
            workdir, "first-party", _first_party_refresh_tokens(provider, connections)
        )
        oauth = _write_per_thread(
            workdir, "oauth", _oauth_refresh_tokens(provider, connections, verifier)
        )

        def phase(name: str, script: str, args: list[str], seconds: int = duration) -> Phase:
            output = _wrk(
                url, workdir / f"{script}.lua", args, duration=seconds, connections=connections
            )
            return _parse(name, output)

        phases = [
            phase("POST /api/auth/refresh (first party)", "refresh", [first_party, "first"]),
            phase("POST /oauth2/token refresh_token", "refresh", [oauth, "oauth", provider.basic]),
        ]
        # Twice as long minting as exchanging, so the exchange never runs out of codes; both
        # together stay well inside a code's 60 seconds.
        codes = str(workdir / "codes-")
        mint = phase(
            "GET /oauth2/authorize (minting codes)",
            "mint",
            [codes, _authorize_path(provider, verifier), provider.cookie],
            seconds=2 * duration,
        )
        phases.append(
            phase(
                "POST /oauth2/token authorization_code",
                "exchange",
                [codes, provider.basic, rest],
            )
        )
        minted = sum(len(p.read_text().split()) for p in workdir.glob("codes-*.txt"))
        phases.append(mint)
        # The first-party endpoint once more at the end, on fresh sessions: the two runs
        # bracket the OAuth phases, so a drift of the machine shows instead of skewing one side.
        again = _write_per_thread(
            workdir, "first-party-again", _first_party_refresh_tokens(provider, connections)
        )
        phases.append(
            phase("POST /api/auth/refresh (first party, again)", "refresh", [again, "first"])
        )
        print(f"  ({minted} codes minted for the exchange phase)")
    return phases


def main() -> None:
    """Run once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per phase (max 15)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (= threads)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is required (Debian package wrk; scripts/bootstrap.sh installs it)")
    if not 1 <= args.duration <= 15:
        raise SystemExit("--duration must be 1..15 (codes expire after 60 s)")
    print(f"jotauth {JOTAUTH}; wrk -t{args.connections} -c{args.connections} -d{args.duration}s")
    with (
        tempfile.TemporaryDirectory(prefix="jotauth-bench-oauth-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        workdir = Path(tmp)
        if args.postgres:
            database_url = stack.enter_context(fresh_postgres_database())
            store = "PostgreSQL"
        else:
            database_url = f"sqlite+aiosqlite:///{workdir}/jotauth.db"
            store = "SQLite"
        phases = run(
            database_url, duration=args.duration, connections=args.connections, workdir=workdir
        )
    print(f"\nstore: {store}")
    print(f"{'endpoint':44} {'ok/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'failed':>7}")
    for p in phases:
        print(
            f"{p.name:44} {p.ok_per_second:9.1f} {p.p50_ms:8.1f} {p.p99_ms:8.1f}"
            f" {p.requests:9d} {p.failures:7d}"
        )


if __name__ == "__main__":
    main()
