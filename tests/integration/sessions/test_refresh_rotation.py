"""Refresh-token rotation, reuse detection and the multi-tab grace window (DESIGN §6).

Every test runs on a SQLite file and on PostgreSQL (the ``database_url`` fixture).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from jotauth.sessions import (
    InvalidRefreshToken,
    RefreshConflict,
    RefreshReused,
    SessionExpired,
    SessionPolicy,
    SessionRevoked,
    SessionService,
)
from jotauth.settings import Settings
from jotauth.store import AuditLog, Sealer, Store, open_store
from jotauth.store.schema import refresh_tokens, sessions
from jotauth.store.schema import users as users_table
from tests.support.clock import SettableClock

GRACE = 10


def _session_service(
    store: Store, settings: Settings, clock: Callable[[], float] = time.time
) -> SessionService:
    secret = (
        settings.secret_key.get_secret_value()
        if settings.secret_key
        else "test secret 0123456789abcdef"
    )
    return SessionService(
        store,
        SessionPolicy.from_settings(settings),
        audit=AuditLog(store, clock=clock),
        secret=secret.encode(),
        clock=clock,
    )


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(1_700_000_000.0)


@pytest.fixture
def service(store: Store, store_settings: Settings, clock: SettableClock) -> SessionService:
    return _session_service(store, store_settings, clock)


async def _user(store: Store, user_id: str = "u1") -> str:
    async with store.transaction() as conn:
        await conn.execute(
            users_table.insert().values(
                id=user_id,
                email=f"{user_id}@example.com",
                name="",
                password_hash="x",
                roles=[],
                scope=[],
                disabled=False,
                created_at=0.0,
                updated_at=0.0,
            )
        )
    return user_id


async def test_login_creates_a_session_with_an_opaque_token_stored_only_as_sha256(
    store: Store, service: SessionService, clock: SettableClock
) -> None:
    user_id = await _user(store)
    issued = await service.create_session(user_id, user_agent="Firefox\x00\n", ip="203.0.113.7")
    assert len(issued.refresh_token) == 43  # 256 bits, base64url
    assert issued.session.user_id == user_id
    assert issued.session.user_agent == "Firefox"  # control characters dropped
    assert issued.session.is_active(clock.now)
    assert issued.refresh_token not in repr(issued)
    async with store.read() as conn:
        row = (await conn.execute(select(refresh_tokens))).mappings().one()
    assert row["token_hash"] == hashlib.sha256(issued.refresh_token.encode()).hexdigest()
    assert issued.refresh_token not in str(dict(row))
    assert [e.event for e in await AuditLog(store).list_events()] == ["login"]


async def test_refresh_rotates_to_a_new_token_that_keeps_working(
    store: Store, service: SessionService
) -> None:
    first = await service.create_session(await _user(store))
    second = await service.rotate_refresh_token(first.refresh_token)
    third = await service.rotate_refresh_token(second.refresh_token)
    assert len({first.refresh_token, second.refresh_token, third.refresh_token}) == 3
    assert first.session.id == second.session.id == third.session.id


async def test_twenty_concurrent_refreshes_with_one_token_all_get_the_same_working_head(
    store: Store, service: SessionService
) -> None:
    issued = await service.create_session(await _user(store))
    results = await asyncio.gather(
        *(service.rotate_refresh_token(issued.refresh_token) for _ in range(20))
    )
    heads = {result.refresh_token for result in results}
    assert len(heads) == 1, "every tab must receive the same head token"
    (head,) = heads
    assert head != issued.refresh_token
    assert {result.session.id for result in results} == {issued.session.id}
    # The token never forked: one rotated row, one active successor.
    async with store.read() as conn:
        states = (
            await conn.execute(
                select(refresh_tokens.c.state, func.count()).group_by(refresh_tokens.c.state)
            )
        ).all()
    assert dict(states) == {"rotated": 1, "active": 1}
    # Nobody was logged out: whichever response the browser kept, it keeps working.
    following = await service.rotate_refresh_token(head)
    assert following.session.id == issued.session.id
    session = await service.get_session(issued.session.id)
    assert session is not None and session.revoked_at is None


async def test_two_server_instances_racing_on_one_token_do_not_fork_it(
    store: Store, store_settings: Settings, clock: SettableClock
) -> None:
    other_store = await open_store(store_settings)  # a second instance: its own pool
    try:
        first = _session_service(store, store_settings, clock)
        second = _session_service(other_store, store_settings, clock)
        issued = await first.create_session(await _user(store))
        results = await asyncio.gather(
            *(
                (first if n % 2 else second).rotate_refresh_token(issued.refresh_token)
                for n in range(10)
            )
        )
        assert len({r.refresh_token for r in results}) == 1
    finally:
        await other_store.close()


async def test_presentation_within_grace_follows_the_chain_to_the_current_head(
    store: Store, service: SessionService, clock: SettableClock
) -> None:
    a = await service.create_session(await _user(store))
    b = await service.rotate_refresh_token(a.refresh_token)
    clock.advance(3)
    c = await service.rotate_refresh_token(b.refresh_token)  # another tab moved on already
    clock.advance(3)
    late = await service.rotate_refresh_token(a.refresh_token)  # 6 s after A's rotation
    assert late.refresh_token == c.refresh_token
    assert (await service.rotate_refresh_token(b.refresh_token)).refresh_token == c.refresh_token


async def test_refresh_reuse_after_grace_revokes_session_and_audits(
    store: Store, service: SessionService, clock: SettableClock
) -> None:
    issued = await service.create_session(await _user(store))
    rotated = await service.rotate_refresh_token(issued.refresh_token)
    newest = await service.rotate_refresh_token(rotated.refresh_token)  # the successor is used
    clock.advance(GRACE)
    with pytest.raises(RefreshReused) as caught:
        await service.rotate_refresh_token(issued.refresh_token)
    assert caught.value.code == "refresh_reused"
    # The whole family is gone: the legitimate holder's newest token is refused too.
    with pytest.raises(SessionRevoked) as revoked:
        await service.rotate_refresh_token(newest.refresh_token)
    assert revoked.value.code == "session_revoked"
    session = await service.get_session(issued.session.id)
    assert session is not None and session.revoked_reason == "refresh_reused"
    events = await AuditLog(store).list_events(event="refresh_reused")
    assert [(e.session_id, e.user_id) for e in events] == [(issued.session.id, "u1")]


async def test_reuse_just_inside_the_grace_window_is_not_theft(
    store: Store, service: SessionService, clock: SettableClock
) -> None:
    issued = await service.create_session(await _user(store))
    rotated = await service.rotate_refresh_token(issued.refresh_token)
    newest = await service.rotate_refresh_token(rotated.refresh_token)  # the successor is used
    clock.advance(GRACE - 0.01)
    again = await service.rotate_refresh_token(issued.refresh_token)
    assert again.refresh_token == newest.refresh_token


async def test_a_lost_refresh_response_is_retried_however_late(
    store: Store, service: SessionService, clock: SettableClock
) -> None:
    """The response carrying the successor never arrived (network drop, tab closed, server
    killed after the commit): the token the client still holds gets the successor, and no
    theft alarm goes off, until the successor itself has been used."""
    issued = await service.create_session(await _user(store))
    lost = await service.rotate_refresh_token(issued.refresh_token)
    clock.advance(3600)  # far past the grace window
    retried = await service.rotate_refresh_token(issued.refresh_token)
    assert retried.refresh_token == lost.refresh_token
    clock.advance(3600)
    assert (await service.rotate_refresh_token(issued.refresh_token)).refresh_token == (
        lost.refresh_token
    )
    following = await service.rotate_refresh_token(retried.refresh_token)
    session = await service.get_session(issued.session.id)
    assert session is not None and session.revoked_at is None
    assert following.session.id == issued.session.id
    assert not await AuditLog(store).list_events(event="refresh_reused")


async def test_a_cookie_token_replayed_in_a_body_after_its_successor_was_used_is_reuse(
    store: Store, service: SessionService, clock: SettableClock
) -> None:
    issued = await service.create_session(await _user(store), refresh_delivery="cookie")
    rotated = await service.rotate_refresh_token(issued.refresh_token, presented_in="cookie")
    await service.rotate_refresh_token(rotated.refresh_token, presented_in="cookie")
    clock.advance(GRACE + 1)
    with pytest.raises(RefreshReused):
        await service.rotate_refresh_token(issued.refresh_token, presented_in="body")
    session = await service.get_session(issued.session.id)
    assert session is not None and session.revoked_reason == "refresh_reused"
    assert len(await AuditLog(store).list_events(event="refresh_reused")) == 1


async def test_a_redeemable_cookie_token_presented_in_a_body_changes_nothing(
    store: Store, service: SessionService, clock: SettableClock
) -> None:
    issued = await service.create_session(await _user(store), refresh_delivery="cookie")
    rotated = await service.rotate_refresh_token(issued.refresh_token, presented_in="cookie")
    clock.advance(GRACE + 1)
    with pytest.raises(InvalidRefreshToken):
        await service.rotate_refresh_token(issued.refresh_token, presented_in="body")
    retried = await service.rotate_refresh_token(issued.refresh_token, presented_in="cookie")
    assert retried.refresh_token == rotated.refresh_token


async def test_sealed_successors_are_forgotten_once_the_grace_window_is_over(
    store: Store, service: SessionService, clock: SettableClock
) -> None:
    issued = await service.create_session(await _user(store))
    second = await service.rotate_refresh_token(issued.refresh_token)
    clock.advance(GRACE + 1)
    third = await service.rotate_refresh_token(second.refresh_token)
    assert await _sealed_successors(store) == 2  # the first's successor was used just now
    clock.advance(GRACE + 1)
    await service.rotate_refresh_token(third.refresh_token)
    # The first row's successor was used more than the grace window ago: never redeemed again.
    assert await _sealed_successors(store) == 2
    with pytest.raises(RefreshReused):
        await service.rotate_refresh_token(issued.refresh_token)


async def test_a_burst_of_rotations_is_forgotten_by_the_first_rotation_after_the_window(
    store: Store, service: SessionService, clock: SettableClock
) -> None:
    # A client refreshing back to back: every rotated row keeps its successor sealed while
    # within the grace window, and one rotation after the window forgets them all at once
    # (but the newest two, which are still redeemable for a while).
    issued = await service.create_session(await _user(store))
    head = issued
    for _ in range(20):
        head = await service.rotate_refresh_token(head.refresh_token)
    assert await _sealed_successors(store) == 20
    clock.advance(GRACE + 1)
    await service.rotate_refresh_token(head.refresh_token)
    assert await _sealed_successors(store) == 2
    with pytest.raises(RefreshReused):
        await service.rotate_refresh_token(issued.refresh_token)


async def _sealed_successors(store: Store) -> int:
    async with store.read() as conn:
        return int(
            (
                await conn.execute(
                    select(func.count()).where(refresh_tokens.c.successor_sealed.is_not(None))
                )
            ).scalar_one()
        )


async def test_session_expires_after_idle_ttl_without_refresh(
    store: Store, store_settings: Settings, clock: SettableClock
) -> None:
    settings = store_settings.model_copy(update={"refresh_idle_ttl": 3600})
    service = _session_service(store, settings, clock)
    issued = await service.create_session(await _user(store))
    clock.advance(3000)
    kept_alive = await service.rotate_refresh_token(issued.refresh_token)  # resets idle timer
    clock.advance(3000)
    refreshed = await service.rotate_refresh_token(kept_alive.refresh_token)
    clock.advance(3600)
    with pytest.raises(SessionExpired) as caught:
        await service.rotate_refresh_token(refreshed.refresh_token)
    assert caught.value.code == "session_expired"
    assert await service.list_sessions("u1") == []


async def test_session_expires_at_absolute_ttl_even_when_used(
    store: Store, store_settings: Settings, clock: SettableClock
) -> None:
    settings = store_settings.model_copy(
        update={"refresh_idle_ttl": 3600, "session_absolute_ttl": 3 * 3600}
    )
    service = _session_service(store, settings, clock)
    token = (await service.create_session(await _user(store))).refresh_token
    for _ in range(5):
        clock.advance(1800)
        if clock.now >= 1_700_000_000.0 + 3 * 3600:
            break
        token = (await service.rotate_refresh_token(token)).refresh_token
    clock.advance(1800)
    with pytest.raises(SessionExpired):
        await service.rotate_refresh_token(token)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "x",
        "A" * 43,  # well-formed, unknown
        "A" * 44,
        "A" * 100_000,
        "é" * 43,
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\x00",
        "' OR 1=1 --AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ],
)
async def test_unknown_or_malformed_refresh_tokens_are_invalid_refresh_token(
    store: Store, service: SessionService, token: str
) -> None:
    await service.create_session(await _user(store))
    with pytest.raises(InvalidRefreshToken) as caught:
        await service.rotate_refresh_token(token)
    assert caught.value.code == "invalid_refresh_token"


async def test_logout_ends_the_session_and_its_token(store: Store, service: SessionService) -> None:
    issued = await service.create_session(await _user(store))
    assert await service.revoke_session(issued.session.id, reason="logout", user_id="u1")
    assert not await service.revoke_session(issued.session.id, reason="logout")
    with pytest.raises(SessionRevoked):
        await service.rotate_refresh_token(issued.refresh_token)
    assert [e.event for e in await AuditLog(store).list_events(event="logout")] == ["logout"]


async def test_a_user_cannot_revoke_someone_elses_session_by_id(
    store: Store, service: SessionService
) -> None:
    victim = await service.create_session(await _user(store, "victim"))
    await _user(store, "attacker")
    assert not await service.revoke_session(victim.session.id, reason="user", user_id="attacker")
    await service.rotate_refresh_token(victim.refresh_token)


async def test_logout_all_ends_every_session_but_the_one_kept(
    store: Store, service: SessionService
) -> None:
    user_id = await _user(store)
    await _user(store, "other")
    kept, ended_a, ended_b = [await service.create_session(user_id) for _ in range(3)]
    bystander = await service.create_session("other")
    ended = await service.revoke_user_sessions(
        user_id, except_session_id=kept.session.id, reason="logout_all"
    )
    assert ended == 2
    for issued in (ended_a, ended_b):
        with pytest.raises(SessionRevoked):
            await service.rotate_refresh_token(issued.refresh_token)
    await service.rotate_refresh_token(kept.refresh_token)
    await service.rotate_refresh_token(bystander.refresh_token)
    assert [s.id for s in await service.list_sessions(user_id)] == [kept.session.id]


async def test_sessions_are_listed_most_recently_used_first(
    store: Store, service: SessionService, clock: SettableClock
) -> None:
    user_id = await _user(store)
    older = await service.create_session(user_id, user_agent="A", ip="192.0.2.1")
    clock.advance(5)
    newer = await service.create_session(user_id, user_agent="B", ip="192.0.2.2")
    clock.advance(5)
    await service.rotate_refresh_token(older.refresh_token)
    listed = await service.list_sessions(user_id)
    assert [s.id for s in listed] == [older.session.id, newer.session.id]
    assert await service.get_session("nope") is None


async def test_purge_deletes_sessions_past_absolute_expiry(
    store: Store, service: SessionService, store_settings: Settings, clock: SettableClock
) -> None:
    issued = await service.create_session(await _user(store))
    await service.rotate_refresh_token(issued.refresh_token)
    assert await service.purge_expired() == 0
    clock.advance(store_settings.session_absolute_ttl)
    assert await service.purge_expired() == 1
    async with store.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(sessions))).scalar_one() == 0
        count = (await conn.execute(select(func.count()).select_from(refresh_tokens))).scalar_one()
        assert count == 0


async def test_refresh_racing_with_logout_either_rotates_or_is_revoked_never_crashes(
    store: Store, service: SessionService
) -> None:
    user_id = await _user(store)
    for _ in range(15):
        issued = await service.create_session(user_id)
        rotated, _ended = await asyncio.gather(
            service.rotate_refresh_token(issued.refresh_token),
            service.revoke_session(issued.session.id, reason="logout"),
            return_exceptions=True,
        )
        assert not isinstance(rotated, BaseException) or isinstance(rotated, SessionRevoked)
        assert not isinstance(_ended, BaseException)
        with pytest.raises(SessionRevoked):  # whoever won, the session is over now
            await service.rotate_refresh_token(
                issued.refresh_token
                if isinstance(rotated, BaseException)
                else rotated.refresh_token
            )


async def test_within_grace_a_revoked_session_stays_revoked(
    store: Store, service: SessionService
) -> None:
    issued = await service.create_session(await _user(store))
    await service.rotate_refresh_token(issued.refresh_token)
    await service.revoke_session(issued.session.id, reason="logout")
    with pytest.raises(SessionRevoked):
        await service.rotate_refresh_token(issued.refresh_token)


async def test_without_a_grace_window_a_token_whose_successor_was_used_counts_as_reuse(
    store: Store, store_settings: Settings, clock: SettableClock
) -> None:
    settings = store_settings.model_copy(update={"refresh_grace_period": 0})
    service = _session_service(store, settings, clock)
    issued = await service.create_session(await _user(store))
    rotated = await service.rotate_refresh_token(issued.refresh_token)
    # Its successor unused, the token is a retry, not a theft, even without a grace window.
    assert (await service.rotate_refresh_token(issued.refresh_token)).refresh_token == (
        rotated.refresh_token
    )
    await service.rotate_refresh_token(rotated.refresh_token)
    with pytest.raises(RefreshReused):
        await service.rotate_refresh_token(issued.refresh_token)


async def test_an_instance_with_another_secret_asks_for_a_retry_instead_of_logging_out(
    store: Store, store_settings: Settings, clock: SettableClock
) -> None:
    first = _session_service(store, store_settings, clock)
    misconfigured = _session_service(
        store,
        store_settings.model_copy(update={"secret_key": SecretStr("another secret 0123456789")}),
        clock,
    )
    issued = await first.create_session(await _user(store))
    head = await first.rotate_refresh_token(issued.refresh_token)
    with pytest.raises(RefreshConflict) as caught:
        await misconfigured.rotate_refresh_token(issued.refresh_token)
    assert caught.value.code == "refresh_conflict"
    assert (await first.rotate_refresh_token(head.refresh_token)).session.id == issued.session.id


def _sealer_of(settings: Settings) -> Sealer:
    """The successor sealer of a SessionService built by _session_service."""
    secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
    return Sealer(
        (secret or "test secret 0123456789abcdef").encode(),
        purpose=b"jotauth refresh-token successor v1",
    )


async def _sealed_successor_of(store: Store, token: str) -> dict[str, object]:
    digest = hashlib.sha256(token.encode()).hexdigest()
    async with store.read() as conn:
        row = (
            (
                await conn.execute(
                    select(refresh_tokens).where(refresh_tokens.c.token_hash == digest)
                )
            )
            .mappings()
            .one()
        )
    return dict(row)


async def _reseal(store: Store, token: str, nonce: bytes, sealed: bytes) -> None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    async with store.transaction() as conn:
        await conn.execute(
            refresh_tokens.update()
            .where(refresh_tokens.c.token_hash == digest)
            .values(successor_nonce=nonce, successor_sealed=sealed)
        )


async def test_a_successor_sealed_by_the_previous_release_is_still_handed_out_in_grace(
    store: Store, service: SessionService, store_settings: Settings
) -> None:
    # Before the one-statement rotation the associated data named the session, not the row:
    # a token rotated by the old release just before an upgrade still finds its head.
    issued = await service.create_session(await _user(store))
    head = await service.rotate_refresh_token(issued.refresh_token)
    row = await _sealed_successor_of(store, issued.refresh_token)
    nonce, sealed = _sealer_of(store_settings).seal(
        head.refresh_token.encode(),
        associated_data=f"{issued.session.id}:{row['successor_hash']}".encode(),
    )
    await _reseal(store, issued.refresh_token, nonce, sealed)
    again = await service.rotate_refresh_token(issued.refresh_token)
    assert again.refresh_token == head.refresh_token


async def test_a_sealed_successor_copied_onto_another_row_does_not_open(
    store: Store, service: SessionService
) -> None:
    # Two rotated tokens of one session: B's sealed successor (C) copied onto A's row opens
    # under neither associated data, so A is not handed C that way.
    a = await service.create_session(await _user(store))
    b = await service.rotate_refresh_token(a.refresh_token)
    await service.rotate_refresh_token(b.refresh_token)
    b_row = await _sealed_successor_of(store, b.refresh_token)
    nonce, sealed = b_row["successor_nonce"], b_row["successor_sealed"]
    assert isinstance(nonce, bytes) and isinstance(sealed, bytes)
    await _reseal(store, a.refresh_token, nonce, sealed)
    with pytest.raises(RefreshConflict):
        await service.rotate_refresh_token(a.refresh_token)


async def test_grace_hand_outs_are_audited(
    store: Store, service: SessionService, clock: SettableClock
) -> None:
    issued = await service.create_session(await _user(store))
    await service.rotate_refresh_token(issued.refresh_token)
    clock.advance(1)
    await service.rotate_refresh_token(issued.refresh_token)
    events = await AuditLog(store).list_events(event="refresh_grace", session_id=issued.session.id)
    assert len(events) == 1 and events[0].detail == {"seconds_since_rotation": 1.0}


async def test_a_refresh_token_is_redeemed_only_the_way_it_was_issued(
    store: Store, service: SessionService
) -> None:
    user_id = await _user(store)
    browser = await service.create_session(user_id, refresh_delivery="cookie")
    native = await service.create_session(user_id, refresh_delivery="body")
    with pytest.raises(InvalidRefreshToken):
        await service.rotate_refresh_token(browser.refresh_token, presented_in="body")
    with pytest.raises(InvalidRefreshToken):
        await service.rotate_refresh_token(native.refresh_token, presented_in="cookie")
    # Refused without any state change: the rightful client carries on.
    assert await service.rotate_refresh_token(browser.refresh_token, presented_in="cookie")
    assert await service.rotate_refresh_token(native.refresh_token, presented_in="body")
