"""Two instances on one PostgreSQL racing refreshes of the same sessions (two tabs, a load
balancer sending each to another instance): every racer succeeds, the session does not
fork into two, and nobody is logged out, also after the grace window (issue 10 item 1)."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import httpx
import pytest

from tests.faults.tools import (
    GRACE_PERIOD_S,
    REQUEST_TIMEOUT_S,
    Outcomes,
    assert_sessions_alive,
    fault_server,
    signed_up,
)
from tests.support.databases import fresh_postgres_database
from tests.support.serve import started

pytestmark = pytest.mark.postgres

CLIENTS = 6
ROUNDS = 8
ISSUER = "http://127.0.0.1:8443"


async def test_f_two_instances_race_refreshes_of_the_same_sessions(tmp_path: Path) -> None:
    outcomes = Outcomes()
    with (
        fresh_postgres_database("jotauth_faults") as url,
        # Behind one load balancer: one public issuer for both instances.
        started(fault_server(url, tmp_path / "a", JOTAUTH_ISSUER=ISSUER)) as a,
        started(fault_server(url, tmp_path / "b", JOTAUTH_ISSUER=ISSUER)) as b,
    ):
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S) as http:
            clients = await signed_up(http, a.url, outcomes, CLIENTS)
            sessions_before = [await client.session_ids(a.url) for client in clients]
            choose = random.Random(10)
            for _ in range(ROUNDS):
                for client in clients:
                    held = client.refresh_token
                    answers = await asyncio.gather(
                        *(_refresh(http, server.url, held, outcomes) for server in (a, b))
                    )
                    assert all(answer is not None for answer in answers), outcomes.statuses
                    # The tabs share one cookie jar: whichever answer lands last wins.
                    client.refresh_token, client.access_token = choose.choice(answers)  # type: ignore[misc]
            await asyncio.sleep(GRACE_PERIOD_S + 0.5)  # later refreshes are past the grace
            await assert_sessions_alive(clients, b.url)
            await assert_sessions_alive(clients, a.url)
            sessions_after = [await client.session_ids(b.url) for client in clients]
    print(f"\ntwo instances racing: {dict(outcomes.statuses)}")
    outcomes.assert_nothing_a_user_should_not_see()
    assert outcomes.statuses[200] >= 2 * CLIENTS * ROUNDS
    assert sessions_after == sessions_before  # one session each, the same one: no fork


async def _refresh(
    http: httpx.AsyncClient, base_url: str, token: str, outcomes: Outcomes
) -> tuple[str, str] | None:
    response = await http.post(f"{base_url}/api/auth/refresh", json={"refresh_token": token})
    outcomes.record(response, 0.0)
    if response.status_code != 200:
        return None
    body = response.json()
    return body["refresh_token"], body["access_token"]
