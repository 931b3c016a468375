"""The passkey operations fuzzed from the served schema on a server where passkeys are on
(``http://localhost:PORT``; the default 127.0.0.1 leaves them off): no input makes a 5xx."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.server.server_process import server_env
from tests.e2e.server.test_server_schemathesis import fuzz_served_schema
from tests.support.ports import free_port
from tests.support.serve import ServerProcess, started


def test_fuzzing_the_passkey_operations_finds_no_server_error(tmp_path: Path) -> None:
    port = free_port()
    env = server_env(
        f"sqlite+aiosqlite:///{tmp_path}/jotauth.db",
        port,
        JOTAUTH_ISSUER=f"http://localhost:{port}",
    )
    with started(ServerProcess(env, port, tmp_path)) as server:
        fuzzer = fuzz_served_schema(server, only=lambda operation: "/passkeys" in operation.path)
        log = server.log()

    assert fuzzer.operations == 7
    assert fuzzer.calls > 100 and fuzzer.statuses.get(200)  # options were handed out
    assert fuzzer.server_errors == []
    assert "unhandled error" not in log and "Traceback" not in log
