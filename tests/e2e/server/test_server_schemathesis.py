"""Property-based fuzzing of the served OpenAPI schema: no input makes the server fail (5xx)."""

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import FailedHealthCheck, Unsatisfiable
from schemathesis import GenerationMode

from tests.e2e.server.server_process import PASSWORD, ServerProcess, running_server, signup

EXAMPLES_PER_OPERATION = 12


class Fuzzer:
    """Runs bounded Hypothesis searches per operation and records 5xx answers."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.session = requests.Session()
        self.server_errors: list[str] = []
        self.calls = 0
        self.operations = 0
        self.statuses: dict[int, int] = {}

    def fuzz(
        self,
        operation: schemathesis.APIOperation,
        mode: GenerationMode,
        headers: dict[str, str],
    ) -> None:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            try:
                response = case.call(
                    base_url=self.server.url, session=self.session, headers=headers, timeout=10
                )
            except (ValueError, requests.exceptions.InvalidHeader):
                return  # the client library refused to send it (e.g. a non-latin-1 header)
            self.calls += 1
            self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                self.server_errors.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}"
                )

        # Unsatisfiable: nothing (negative) can be generated for this operation.
        with contextlib.suppress(Unsatisfiable, FailedHealthCheck):
            call()


def fuzz_served_schema(
    server: ServerProcess, *, only: Callable[[schemathesis.APIOperation], bool] = lambda op: True
) -> Fuzzer:
    """Fuzz the operations of ``server``'s schema (``only`` those it selects), each with and
    without a signed-in user's Bearer token, positive and negative cases."""
    asyncio.run(signup(server.url, "fuzz@example.org"))
    login = httpx.post(
        f"{server.url}/api/auth/login",
        json={"email": "fuzz@example.org", "password": PASSWORD, "delivery": "body"},
    )
    bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
    fuzzer = Fuzzer(server)
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    for result in schema.get_all_operations():
        operation = result.ok()
        if not only(operation):
            continue
        fuzzer.operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for headers in (bearer, {}):
                fuzzer.fuzz(operation, mode, headers)
    return fuzzer


def test_fuzzing_every_operation_of_the_served_schema_finds_no_server_error(
    tmp_path: Path,
) -> None:
    with running_server(f"sqlite+aiosqlite:///{tmp_path}/jotauth.db", tmp_path) as server:
        fuzzer = fuzz_served_schema(server)
        log = server.log()

    assert fuzzer.calls > 200
    assert fuzzer.server_errors == []
    assert "unhandled error" not in log and "Traceback" not in log


def test_the_schema_documents_problem_responses(tmp_path: Path) -> None:
    with running_server(f"sqlite+aiosqlite:///{tmp_path}/jotauth.db", tmp_path) as server:
        schema = httpx.get(f"{server.url}/openapi.json").json()
    login = schema["paths"]["/api/auth/login"]["post"]["responses"]
    assert {"200", "204", "401", "403", "415", "422", "429", "503"} <= set(login)
    assert "application/problem+json" in login["401"]["content"]
