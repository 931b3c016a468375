"""Planned key rotation with zero failed verifications; a revoked key is dropped quickly.

A resource-server verifier (``TokenVerifier`` + ``JWKSClient``, as in DESIGN §7) keeps
verifying fresh access tokens while ``jotauth keys rotate`` runs in another process; then
``jotauth keys revoke`` removes the old key and the verifier refuses its tokens within one
JWKS cache period (2 s in the test settings, plus the server's 0.5 s reload interval).
"""

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jotauth import jose
from jotauth.verify import JWKSClient, TokenVerifier
from tests.e2e.server.server_process import (
    PASSWORD,
    ServerProcess,
    running_server,
    running_server_on,
    signup,
)

JWKS_MAX_AGE = 2.0
RELOAD_INTERVAL = 0.5
SLACK = 1.5  # the JWKS fetch and scheduling on a busy machine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def rotating_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    with running_server_on(request.param, tmp_path) as server:
        yield server


def kid_of(token: str) -> str:
    return str(jose.decode_unverified(token)[0]["kid"])


async def test_rotation_and_revocation_seen_by_a_jwks_verifier(
    rotating_server: ServerProcess,
) -> None:
    server = rotating_server
    await signup(server.url, "keys@example.org")
    jwks = JWKSClient(f"{server.url}/.well-known/jwks.json", max_age=600, min_max_age=0.5)
    verifier = TokenVerifier(
        issuer=server.url, audience="lessons", keys=jwks, algorithms=("RS256",), leeway=0
    )
    async with httpx.AsyncClient(base_url=server.url) as http:
        login = await http.post(
            "/api/auth/login",
            json={"email": "keys@example.org", "password": PASSWORD, "client": "native"},
        )
        state = {"refresh": login.json()["refresh_token"]}
        old_token = login.json()["access_token"]
        old_kid = kid_of(old_token)
        await verifier.averify(old_token)  # the verifier caches the JWKS now

        failures: list[str] = []
        kids: list[str] = []
        stop = asyncio.Event()

        async def keep_verifying() -> None:
            while not stop.is_set():
                response = await http.post(
                    "/api/auth/refresh", json={"refresh_token": state["refresh"]}
                )
                assert response.status_code == 200, response.text
                body = response.json()
                state["refresh"] = body["refresh_token"]
                try:
                    await verifier.averify(body["access_token"])
                except jose.InvalidToken as error:
                    failures.append(f"{kid_of(body['access_token'])}: {error.code}")
                kids.append(kid_of(body["access_token"]))
                await asyncio.sleep(0.05)

        worker = asyncio.create_task(keep_verifying())
        # The next key was published at start-up; wait one cache period, then rotate.
        await asyncio.sleep(JWKS_MAX_AGE + 0.2)
        rotated = await asyncio.to_thread(server.cli, "keys", "rotate")
        assert rotated.returncode == 0, rotated.stdout + rotated.stderr
        assert "now signs" in rotated.stdout
        await asyncio.sleep(JWKS_MAX_AGE + 2 * RELOAD_INTERVAL)
        stop.set()
        await worker

        assert failures == []
        assert kids[0] == old_kid and kids[-1] != old_kid, "the server never switched keys"
        listed = json.loads((await asyncio.to_thread(server.cli, "keys", "list", "--json")).stdout)
        states = {row["kid"]: row["state"] for row in listed}
        assert states[old_kid] == "retired" and states[kids[-1]] == "current"
        assert "next" in states.values()

        # Revocation: the old key leaves the JWKS; its tokens stop verifying within one
        # cache period (plus the server's reload interval).
        revoked = await asyncio.to_thread(server.cli, "keys", "revoke", "--", old_kid)
        assert revoked.returncode == 0, revoked.stderr
        revoked_at = time.monotonic()
        while True:
            try:
                await verifier.averify(old_token)
            except jose.InvalidToken as error:
                assert error.code == "unknown_kid"
                break
            assert time.monotonic() - revoked_at < JWKS_MAX_AGE + RELOAD_INTERVAL + SLACK
            await asyncio.sleep(0.1)
        dropped_after = time.monotonic() - revoked_at
        assert dropped_after <= JWKS_MAX_AGE + RELOAD_INTERVAL + SLACK
        published = (await http.get("/.well-known/jwks.json")).json()["keys"]
        assert old_kid not in {k["kid"] for k in published}
        # Tokens from the current key are unaffected.
        fresh = await http.post("/api/auth/refresh", json={"refresh_token": state["refresh"]})
        await verifier.averify(fresh.json()["access_token"])
    await jwks.aclose()


def test_rotate_waits_until_the_next_key_was_published_one_cache_period(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path}/jotauth.db"
    with running_server(db, tmp_path, JOTAUTH_JWKS_MAX_AGE="3600") as server:
        waiting = server.cli("keys", "rotate")
        assert waiting.returncode == 2
        assert "not been published for a full JWKS cache period" in waiting.stdout
        forced = server.cli("keys", "rotate", "--force")
        assert forced.returncode == 0 and "now signs" in forced.stdout
