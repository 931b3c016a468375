"""Does ``POST /api/auth/password/forgot`` answer a registered address and an unknown one in
the same time? Figures over real HTTP against ``jotauth serve`` (prints numbers, asserts nothing).

    .venv/bin/python bench/forgot_timing.py               # 100 tries of each, SQLite
    .venv/bin/python bench/forgot_timing.py --tries 200

The server mails through an aiosmtpd server on loopback (so the registered addresses really
queue and send a mail) with the production argon2id parameters. Registered and unknown
addresses are asked for in a shuffled order, one request at a time, each address once (the
per-address mail limit is never reached). Printed: the latency distribution of each kind, the
difference of their medians, and how many mails arrived (one per registered address, none for
the unknown ones).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

JOTAUTH = str(Path(sys.executable).parent / "jotauth")
PASSWORD = "correct horse battery staple"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Count:
    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


@contextmanager
def serve(workdir: Path, smtp_port: int) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOTAUTH_")}
    env.update(
        {
            "JOTAUTH_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/jotauth.db",
            "JOTAUTH_SECRET_KEY": secrets.token_urlsafe(32),
            "JOTAUTH_ISSUER": f"http://127.0.0.1:{port}",
            "JOTAUTH_SIGNUP_ENABLED": "true",
            "JOTAUTH_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}?starttls=false",
            "JOTAUTH_MAIL_FROM": "bench <noreply@bench.example>",
            "JOTAUTH_MAIL_PER_IP": "1000000",
            "JOTAUTH_LOGIN_ATTEMPTS_PER_ACCOUNT": "1000000",
            "JOTAUTH_LOGIN_ATTEMPTS_PER_IP": "1000000",
            "JOTAUTH_LOG_LEVEL": "warning",
        }
    )
    log = (workdir / "server.log").open("wb")
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


def _summary(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p90 = ms[min(len(ms) - 1, int(0.9 * len(ms)))]
    return (
        f"{name:<11} n={len(ms):>4}  median {statistics.median(ms):6.2f} ms  "
        f"mean {statistics.fmean(ms):6.2f} ms  p90 {p90:6.2f} ms  "
        f"stdev {statistics.stdev(ms):5.2f} ms  min {ms[0]:6.2f}  max {ms[-1]:6.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tries", type=int, default=100, help="requests of each kind (>= 50)")
    args = parser.parse_args()
    tries = max(50, args.tries)

    counter = _Count()
    smtp_port = _free_port()
    smtp = Controller(counter, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp), smtp_port) as url:
            with httpx.Client(base_url=url, timeout=30) as http:
                registered = [f"user{i}-{secrets.token_hex(3)}@bench.example" for i in range(tries)]
                for address in registered:
                    response = http.post(
                        "/api/auth/signup",
                        json={"email": address, "password": PASSWORD, "delivery": "body"},
                    )
                    response.raise_for_status()
                # Let the sign-up verification mails go out first.
                deadline = time.monotonic() + 120
                while len(counter.recipients) < tries and time.monotonic() < deadline:
                    time.sleep(0.2)
                before = len(counter.recipients)
                unknown = [f"nobody{i}-{secrets.token_hex(3)}@bench.example" for i in range(tries)]
                order = [(a, True) for a in registered] + [(a, False) for a in unknown]
                random.shuffle(order)
                for address, _ in order[:10]:  # warm-up, not counted
                    http.post("/api/auth/password/forgot", json={"email": f"warm-{address}"})
                timings: dict[bool, list[float]] = {True: [], False: []}
                statuses: set[int] = set()
                for address, known in order:
                    started = time.perf_counter()
                    response = http.post("/api/auth/password/forgot", json={"email": address})
                    timings[known].append(time.perf_counter() - started)
                    statuses.add(response.status_code)
            # The outbox drains after the answers (one SMTP connection per mail).
            deadline = time.monotonic() + 120
            while len(counter.recipients) - before < tries and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1)  # and nothing more arrives
    finally:
        smtp.stop()
    reset_mails = len(counter.recipients) - before
    print(f"POST /api/auth/password/forgot, {tries} registered and {tries} unknown addresses")
    print(f"statuses seen: {sorted(statuses)}")
    print(_summary("registered", timings[True]))
    print(_summary("unknown", timings[False]))
    diff = statistics.median(timings[True]) - statistics.median(timings[False])
    print(f"median difference (registered - unknown): {diff * 1000:+.3f} ms")
    print(f"reset mails received: {reset_mails} (expected {tries}: one per registered address)")


if __name__ == "__main__":
    main()
