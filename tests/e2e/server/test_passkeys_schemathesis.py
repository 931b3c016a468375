"""The passkey operations fuzzed from the served schema on a server where passkeys are on
(``http://localhost:PORT``; the default 127.0.0.1 leaves them off): no input makes a 5xx."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import schemathesis
from schemathesis import GenerationMode

from tests.e2e.server.server_process import PASSWORD, server_env, signup
from tests.e2e.server.test_server_schemathesis import Fuzzer
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
        asyncio.run(signup(server.url, "fuzz@example.org"))
        login = httpx.post(
            f"{server.url}/api/auth/login",
            json={"email": "fuzz@example.org", "password": PASSWORD, "delivery": "body"},
        )
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        fuzzer = Fuzzer(server)
        schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        passkey_operations = [op for op in operations if "/passkeys" in op.path]
        assert len(passkey_operations) == 7
        for operation in passkey_operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                for headers in (bearer, {}):
                    fuzzer.fuzz(operation, mode, headers)
        log = server.log()

    assert fuzzer.calls > 100 and fuzzer.statuses.get(200)  # options were handed out
    assert fuzzer.server_errors == []
    assert "unhandled error" not in log and "Traceback" not in log
