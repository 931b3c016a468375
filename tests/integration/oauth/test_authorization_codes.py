"""Authorization codes on a real SQLite store: 60 seconds, once, replay names the grant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from jotauth.oauth.codes import CODE_TTL, AuthorizationCodes, CodeGrant
from jotauth.settings import Settings
from jotauth.store import AuditLog, Store, open_store
from jotauth.throttle import InMemoryLoginThrottle
from jotauth.users import PasswordHasher, UserService

GRANT = CodeGrant(
    client_id="web",
    user_id="",
    browser_session_id="s" * 32,
    redirect_uri="https://web.example/cb",
    code_challenge="c" * 43,
    scope=("openid",),
    nonce="n",
    auth_time=1000.0,
)


class Clock:
    """A settable clock (POSIX seconds)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/j.db"))
    yield opened
    await opened.close()


async def _user_id(store: Store) -> str:
    settings = Settings(argon2_time_cost=1, argon2_memory_cost=64)
    hasher = PasswordHasher(settings)
    try:
        users = UserService(
            store,
            hasher,
            throttle=InMemoryLoginThrottle(settings),
            audit=AuditLog(store),
            min_password_length=12,
        )
        return (await users.create_user("ada@example.org", "correct horse battery")).id
    finally:
        hasher.close()


async def test_a_code_is_redeemed_once_and_a_replay_names_what_it_issued(store: Store) -> None:
    clock = Clock()
    codes = AuthorizationCodes(store, clock=clock)
    user_grant = replace(GRANT, user_id=await _user_id(store))
    code = await codes.issue(user_grant)

    first = await codes.redeem(code)
    assert first.grant == user_grant
    await codes.record_issued(code, "session-1")
    replay = await codes.redeem(code)
    assert replay.grant is None and replay.replayed_session_id == "session-1"
    assert (await codes.redeem("unknown")).grant is None


async def test_a_code_expires_after_sixty_seconds(store: Store) -> None:
    clock = Clock()
    codes = AuthorizationCodes(store, clock=clock)
    code = await codes.issue(replace(GRANT, user_id=await _user_id(store)))
    clock.now += CODE_TTL
    expired = await codes.redeem(code)
    assert expired.grant is None and expired.expired
