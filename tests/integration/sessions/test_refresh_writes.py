"""What one refresh writes: its ``refresh`` audit row and the owner read in the rotation's
transaction, and nothing at all when the rotation loses its race.

On PostgreSQL all of it is one statement (``sessions.statements.rotation_pg``), whose parts run
in one snapshot: only the rotation's own RETURNING may let the rest write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select

from jotauth.sessions import (
    InvalidRefreshToken,
    SessionPolicy,
    SessionRevoked,
    SessionService,
    hash_refresh_token,
)
from jotauth.sessions.rotation import RefreshRotation
from jotauth.settings import Settings
from jotauth.store import AuditLog, Store
from jotauth.store.schema import audit_events, refresh_tokens, sessions
from jotauth.store.schema import users as users_table
from jotauth.users.by_id import UserById
from tests.support.clock import SettableClock
from tests.support.databases import execute, run_coroutine


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(1_700_000_000.0)


@pytest.fixture
def service(store: Store, clock: SettableClock) -> SessionService:
    return SessionService(
        store,
        SessionPolicy.from_settings(Settings()),
        audit=AuditLog(store, clock=clock),
        secret=b"refresh-writes-test-secret-0123456789",
        clock=clock,
    )


async def _user(store: Store, *, disabled: bool = False) -> str:
    async with store.transaction() as conn:
        await conn.execute(
            users_table.insert().values(
                id="u1",
                email="u1@example.com",
                name="Ada",
                password_hash="x",
                roles=["admin"],
                scope=["read"],
                disabled=disabled,
                created_at=5.0,
                updated_at=5.0,
            )
        )
    return "u1"


async def _rows(store: Store, statement: Any) -> list[dict[str, Any]]:
    async with store.read() as conn:
        return [dict(row) for row in (await conn.execute(statement)).mappings()]


async def test_a_refresh_writes_one_refresh_audit_row_with_its_session_and_user(
    store: Store, service: SessionService, clock: SettableClock
) -> None:
    issued = await service.create_session(await _user(store), ip="203.0.113.7")
    clock.advance(3)
    await service.rotate_refresh_token(issued.refresh_token)
    rows = await _rows(store, select(audit_events).where(audit_events.c.event == "refresh"))
    assert [{k: v for k, v in row.items() if k != "id"} for row in rows] == [
        {
            "event": "refresh",
            "at": clock.now,
            "user_id": "u1",
            "session_id": issued.session.id,
            "ip": None,
            "detail": None,
        }
    ]


@pytest.mark.parametrize("disabled", [False, True])
async def test_the_owner_is_read_with_the_rotation(
    store: Store, service: SessionService, disabled: bool
) -> None:
    issued = await service.create_session(await _user(store, disabled=disabled))
    rotated, owner = await service.rotate_and_read_owner(issued.refresh_token, owner=UserById())
    assert rotated.session.id == issued.session.id
    assert owner is not None
    assert (owner.id, owner.email, owner.name, owner.roles, owner.scope) == (
        "u1",
        "u1@example.com",
        "Ada",
        ("admin",),
        ("read",),
    )
    assert owner.disabled is disabled and owner.created_at == 5.0


@pytest.fixture
def token_changed_before_rotation(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[str]]:
    """Just before PostgreSQL runs the rotation statement, another connection revokes the
    token (append its hash to the list): the conditional UPDATE then matches no row."""
    if not database_url.startswith("postgresql"):
        # SQLite runs the statements one by one, each after the previous one's outcome, and
        # its write transaction shuts out any other writer.
        pytest.skip("PostgreSQL only: the rotation is one statement there")
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    armed: list[str] = []
    fired: list[str] = []
    original = RefreshRotation._rotate_in_one_statement

    def rotate_after_a_revocation(self: RefreshRotation, *args: Any, **kwargs: Any) -> Any:
        if armed:
            token_hash = armed.pop()
            run_coroutine(
                lambda: execute(
                    dsn,
                    "UPDATE refresh_tokens SET state = 'revoked' "
                    f"WHERE token_hash = '{token_hash}'",
                )
            )
            fired.append(token_hash)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RefreshRotation, "_rotate_in_one_statement", rotate_after_a_revocation)
    yield armed
    assert fired, "the rotation statement never ran"


async def test_a_step_up_committed_after_the_unlocked_read_is_in_the_new_session_state(
    store: Store, service: SessionService, postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The quick path reads the session without a lock; how and when the user last
    # authenticated must come from the row the rotation statement locked.
    issued = await service.create_session(await _user(store), amr=("pwd",))
    original = RefreshRotation._rotate_in_one_statement
    stepped_up: list[str] = []

    def rotate_after_a_step_up(self: RefreshRotation, *args: Any, **kwargs: Any) -> Any:
        if not stepped_up:
            stepped_up.append(issued.session.id)
            run_coroutine(
                lambda: execute(
                    postgres_dsn,
                    'UPDATE sessions SET amr = \'["pwd", "otp", "mfa"]\', '
                    f"auth_time = 1700000123.0 WHERE id = '{issued.session.id}'",
                )
            )
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RefreshRotation, "_rotate_in_one_statement", rotate_after_a_step_up)
    rotated = await service.rotate_refresh_token(issued.refresh_token)
    assert stepped_up
    assert (rotated.session.amr, rotated.session.auth_time) == (
        ("pwd", "otp", "mfa"),
        1_700_000_123.0,
    )


async def test_a_rotation_that_loses_its_race_writes_nothing(
    store: Store,
    service: SessionService,
    clock: SettableClock,
    token_changed_before_rotation: list[str],
) -> None:
    issued = await service.create_session(await _user(store))
    second = await service.rotate_refresh_token(issued.refresh_token)
    head = await service.rotate_refresh_token(second.refresh_token)
    # Past the grace window a won rotation would also forget the first row's sealed successor,
    # and a touch would move last_used_at and idle_expires_at.
    clock.advance(Settings().refresh_grace_period + 60)
    before = await _everything(store)
    head_hash = hash_refresh_token(head.refresh_token)
    token_changed_before_rotation.append(head_hash)
    with pytest.raises(SessionRevoked):  # the retry finds the token revoked
        await service.rotate_refresh_token(head.refresh_token)
    for row in before["tokens"]:
        if row["token_hash"] == head_hash:
            row["state"] = "revoked"  # the other connection's change, and the only one
    assert await _everything(store) == before


async def _everything(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Every row a rotation could write: tokens, sessions, audit events."""
    return {
        "tokens": await _rows(store, select(refresh_tokens).order_by(refresh_tokens.c.token_hash)),
        "sessions": await _rows(store, select(sessions)),
        "events": await _rows(store, select(audit_events).order_by(audit_events.c.id)),
    }


@pytest.fixture
def postgres_dsn(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: row locks (SQLite's write transaction shuts out the rest)")
    return database_url.replace("postgresql+asyncpg://", "postgresql://")


async def _until_a_backend_waits_for_a_lock(dsn: str) -> None:
    watcher = await asyncpg.connect(dsn)
    try:
        for _ in range(200):
            waiting = await watcher.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if waiting:
                return
            await asyncio.sleep(0.025)
        raise AssertionError("no statement ever waited for a lock")
    finally:
        await watcher.close()


async def test_a_refresh_during_a_logout_waits_for_it_and_then_writes_nothing(
    store: Store, service: SessionService, clock: SettableClock, postgres_dsn: str
) -> None:
    issued = await service.create_session(await _user(store))
    head = await service.rotate_refresh_token(issued.refresh_token)
    sid = issued.session.id
    logout = await asyncpg.connect(postgres_dsn)
    try:
        async with logout.transaction():
            # What a logout does, not yet committed: the session row, then its tokens.
            await logout.execute(
                "UPDATE sessions SET revoked_at = $1, revoked_reason = 'logout' WHERE id = $2",
                clock.now,
                sid,
            )
            await logout.execute(
                "UPDATE refresh_tokens SET state = 'revoked' WHERE session_id = $1", sid
            )
            before = await _everything(store)  # what a reader sees meanwhile
            refresh = asyncio.ensure_future(service.rotate_refresh_token(head.refresh_token))
            await _until_a_backend_waits_for_a_lock(postgres_dsn)
            assert not refresh.done()
        with pytest.raises(SessionRevoked):
            await refresh
    finally:
        await logout.close()
    for row in before["tokens"]:
        row["state"] = "revoked"
    for row in before["sessions"]:
        row.update(revoked_at=clock.now, revoked_reason="logout")
    assert await _everything(store) == before  # the logout's changes and nothing else


async def test_a_rotation_locks_the_session_before_the_token(
    store: Store, service: SessionService, postgres_dsn: str
) -> None:
    # Revocation locks the session row, then its tokens: a refresh taking them the other way
    # round could deadlock with it.
    issued = await service.create_session(await _user(store))
    holder, probe = await asyncpg.connect(postgres_dsn), await asyncpg.connect(postgres_dsn)
    try:
        async with holder.transaction():
            await holder.execute(
                "SELECT 1 FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
                hash_refresh_token(issued.refresh_token),
            )
            refresh = asyncio.ensure_future(service.rotate_refresh_token(issued.refresh_token))
            await _until_a_backend_waits_for_a_lock(postgres_dsn)  # for the token row
            with pytest.raises(asyncpg.LockNotAvailableError):  # the session is the refresh's
                await probe.execute(
                    "SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE NOWAIT", issued.session.id
                )
        rotated = await refresh
    finally:
        await holder.close()
        await probe.close()
    assert rotated.session.id == issued.session.id
    assert rotated.refresh_token != issued.refresh_token


async def test_on_postgresql_a_refresh_of_the_head_token_needs_no_transaction(
    store: Store, service: SessionService, postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = await service.create_session(await _user(store), refresh_delivery="cookie")
    locked_attempts: list[str] = []
    original = RefreshRotation._attempt

    def locked(self: RefreshRotation, conn: Any, presented: str, *args: Any) -> Any:
        locked_attempts.append(presented)
        return original(self, conn, presented, *args)

    monkeypatch.setattr(RefreshRotation, "_attempt", locked)
    second = await service.rotate_refresh_token(issued.refresh_token, presented_in="cookie")
    assert locked_attempts == []  # the rotation statement alone
    # The rest is decided in the locked transaction, after the statement wrote nothing: an
    # unknown token, a rotated token within grace (handed the head), a token presented the
    # other way.
    with pytest.raises(InvalidRefreshToken):
        await service.rotate_refresh_token("x" * 43)
    again = await service.rotate_refresh_token(issued.refresh_token, presented_in="cookie")
    assert again.refresh_token == second.refresh_token
    with pytest.raises(InvalidRefreshToken):
        await service.rotate_refresh_token(second.refresh_token, presented_in="body")
    assert len(locked_attempts) == 3
