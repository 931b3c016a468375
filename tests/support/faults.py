"""Real faults for real processes: a TCP proxy that resets or blackholes, a PostgreSQL cluster
and a Redis server of our own that may really be stopped, and ``kill -9`` of a server.

Nothing here touches the shared PostgreSQL on 5432 or the shared Redis on 6379: every
dependency a fault test stops is a throw-away one on a free port.

- ``TcpProxy(host, port)``: loopback proxy; ``forward()``, ``reset()`` (every connection,
  held and new, is aborted with RST), ``blackhole()`` (connections are held, nothing is
  forwarded either way).
- ``ThrowAwayPostgres``: ``initdb`` + ``pg_ctl`` as the ``postgres`` user, data under a fresh
  ``/tmp`` directory; ``stop()`` is ``pg_ctl stop -m immediate`` (a crash, no goodbye to the
  clients), ``start()`` brings the same cluster back on the same port.
- ``ThrowAwayRedis``: ``redis-server --save "" --appendonly no``; ``stop()`` is SIGKILL.
- ``kill_hard(server)`` and ``restarted(server)``: SIGKILL a ``jotauth serve`` and start the
  same command (same settings, port and store) again.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.ports import free_port
from tests.support.serve import ServerProcess

PG_BIN = Path("/usr/lib/postgresql/15/bin")
# SO_LINGER on, timeout 0: close() sends RST instead of FIN.
_LINGER_RST = struct.pack("ii", 1, 0)


def wait_for_port(port: int, *, timeout: float = 10.0) -> None:
    """Block until something accepts TCP connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def _abort(sock: socket.socket) -> None:
    """Close ``sock`` with RST (the peer sees ECONNRESET, not an orderly end)."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
    with contextlib.suppress(OSError):
        sock.close()


class TcpProxy:
    """A loopback TCP proxy in front of ``host:port`` whose behaviour the test switches.

    One thread accepts; one thread per connection pumps bytes both ways while the mode is
    ``forward``. In ``blackhole`` mode the pumps stop reading (the peers' data sits in the
    kernel buffers, nobody answers) and new connections are accepted and held without an
    upstream. ``reset()`` aborts every connection with RST and resets new ones on accept.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self._mode = "forward"
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.05)
        self._running = True
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    @property
    def mode(self) -> str:
        return self._mode

    def forward(self) -> None:
        """Pass traffic through (new connections get a fresh upstream connection)."""
        self._mode = "forward"

    def blackhole(self) -> None:
        """Hold every connection and forward nothing, like a dropped network path."""
        self._mode = "blackhole"

    def reset(self) -> None:
        """Abort every held connection with RST, and every new one as soon as it arrives."""
        self._mode = "reset"
        with self._lock:
            held, self._sockets = self._sockets, set()
        for sock in held:
            _abort(sock)

    def close(self) -> None:
        self._running = False
        self._acceptor.join(timeout=1)
        self._listener.close()
        self.reset()

    def _track(self, *socks: socket.socket) -> None:
        with self._lock:
            self._sockets.update(socks)

    def _forget(self, *socks: socket.socket) -> None:
        with self._lock:
            self._sockets.difference_update(socks)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept_loop(self) -> None:
        while self._running:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        if self._mode == "reset":
            _abort(client)
            return
        self._track(client)
        upstream: socket.socket | None = None
        try:
            while self._mode == "blackhole":  # held without an upstream until the mode changes
                time.sleep(0.05)
            if self._mode != "forward":
                return
            upstream = socket.create_connection(self.target, timeout=5)
            self._track(upstream)
            self._pump(client, upstream)
        except OSError:
            pass
        finally:
            self._forget(client, *([upstream] if upstream else []))

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        while self._running:
            if self._mode == "blackhole":
                time.sleep(0.05)
                continue
            if self._mode == "reset":
                return
            readable, _, _ = select.select(list(peers), [], [], 0.05)
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                peers[sock].sendall(data)


class ThrowAwayPostgres:
    """A private PostgreSQL cluster on a free port that the test may crash and restart.

    The data directory lives in a fresh ``/tmp`` directory owned by ``postgres`` (the
    server refuses to run as root); authentication is ``trust`` on loopback only.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="jotauth-pg-"))
        self.root.chmod(0o755)  # world-traversable: the postgres user must reach its data
        shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "data"
        self._as_postgres(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL of ``database`` on this cluster (or through a proxy's port)."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            "pg_ctl", "start", "-w", "-D", str(self.data), "-o", options, "-l", str(self.log)
        )

    def stop(self) -> None:
        """A crash: ``pg_ctl stop -m immediate`` (connections die without a goodbye)."""
        self._as_postgres("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self.data))

    def create_database(self, name: str) -> str:
        self._as_postgres("createdb", "-h", "127.0.0.1", "-p", str(self.port), name)
        return self.url(name)

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def _as_postgres(self, program: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / program), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )


@contextmanager
def throw_away_postgres(database: str = "jotauth") -> Iterator[tuple[ThrowAwayPostgres, str]]:
    """A started private cluster and the URL of a fresh ``database`` on it; removed after."""
    cluster = ThrowAwayPostgres()
    try:
        cluster.start()
        yield cluster, cluster.create_database(database)
    finally:
        cluster.destroy()


class ThrowAwayRedis:
    """A private ``redis-server`` (no persistence) on a free port, killed with SIGKILL."""

    def __init__(self) -> None:
        self.port = free_port()
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
        wait_for_port(self.port, timeout=5)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@contextmanager
def throw_away_redis() -> Iterator[ThrowAwayRedis]:
    redis = ThrowAwayRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


def kill_hard(server: ServerProcess) -> None:
    """``kill -9``: no shutdown hooks, in-flight responses are lost."""
    server.process.kill()
    server.process.wait()


def restarted(server: ServerProcess) -> ServerProcess:
    """The same ``jotauth serve`` (settings, port, store) started again (not yet ready)."""
    previous = server.log_path.with_suffix(f".{os.getpid()}.{time.monotonic_ns()}.log")
    with contextlib.suppress(OSError):
        server.log_path.rename(previous)  # keep the killed instance's log for failures
    return ServerProcess(server.env, server.port, server.workdir)
