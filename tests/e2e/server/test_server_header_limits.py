"""Request heads are bounded (issue 10 item 3): unfinished or endless header lines and too many
header fields get 431 and a closed connection, and the server's memory stays flat."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server.server_process import ServerProcess, running_server

CHUNK = b"a" * 65536


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir: Path = tmp_path_factory.mktemp("header-limits")
    with running_server(f"sqlite+aiosqlite:///{workdir}/jotauth.db", workdir) as running:
        yield running


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _send_endless_header(port: int, total: int) -> tuple[int, bytes]:
    """Send an unfinished header line of up to ``total`` bytes; (bytes sent, answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: ")
        sent = 0
        try:
            while sent < total:
                conn.sendall(CHUNK)
                sent += len(CHUNK)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            answer = conn.recv(4096)
        except (ConnectionResetError, TimeoutError):
            answer = b""
    return sent, answer


def test_an_endless_header_line_is_cut_off_with_431(server: ServerProcess) -> None:
    sent, answer = _send_endless_header(server.port, 10 * 1024 * 1024)
    assert sent < 10 * 1024 * 1024 or answer.startswith(b"HTTP/1.1 431")
    assert answer.startswith(b"HTTP/1.1 431"), answer[:100]


def test_twenty_attacking_connections_do_not_grow_the_server(server: ServerProcess) -> None:
    """Twenty connections at once, each sending 10 MB of one header line and never ending it:
    measured while all of them are still open."""
    before = _rss_kib(server.process.pid)
    conns = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(20)]
    try:
        for conn in conns:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: ")
        open_conns = list(conns)
        for _ in range(10 * 1024 * 1024 // len(CHUNK)):
            for conn in list(open_conns):
                try:
                    conn.sendall(CHUNK)
                except OSError:
                    open_conns.remove(conn)  # the server cut it off
            if not open_conns:
                break
        time.sleep(0.5)
        grown_mib = (_rss_kib(server.process.pid) - before) / 1024
    finally:
        for conn in conns:
            conn.close()
    assert grown_mib < 20, f"RSS grew by {grown_mib:.1f} MiB with 20 attacking connections"
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_too_many_header_fields_are_refused(server: ServerProcess) -> None:
    headers = b"".join(b"X-%d: 1\r\n" % i for i in range(150))
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        assert conn.recv(4096).startswith(b"HTTP/1.1 431")


def test_ordinary_requests_with_bodies_still_work_on_one_connection(
    server: ServerProcess,
) -> None:
    with httpx.Client(base_url=server.url) as client:
        for _ in range(50):
            response = client.post(
                "/api/auth/login", json={"email": "a@b.c", "password": "x" * 500}
            )
            assert response.status_code in (401, 422)
        assert client.get("/healthz", headers={"X-Big": "b" * 12000}).status_code == 200
