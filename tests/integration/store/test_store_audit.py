"""The audit trail records events with ids and details, and lists them newest first."""

from __future__ import annotations

import pytest

from jotauth.store import AuditLog, Store


async def test_recorded_events_are_listed_newest_first_with_filters(store: Store) -> None:
    clock = iter([100.0, 200.0, 300.0])
    audit = AuditLog(store, clock=lambda: next(clock))
    await audit.record("login", user_id="u1", session_id="s1", ip="203.0.113.9")
    await audit.record("login_failed", user_id="u2", ip="2001:db8::1", detail={"reason": "x"})
    await audit.record("refresh_reused", user_id="u1", session_id="s1", detail={"generation": 3})

    events = await audit.list_events()
    assert [e.event for e in events] == ["refresh_reused", "login_failed", "login"]
    assert [e.at for e in events] == [300.0, 200.0, 100.0]
    assert events[0].detail == {"generation": 3}
    assert events[2].ip == "203.0.113.9"
    assert [e.event for e in await audit.list_events(user_id="u1")] == ["refresh_reused", "login"]
    assert [e.event for e in await audit.list_events(event="login_failed")] == ["login_failed"]
    assert len(await audit.list_events(limit=1)) == 1


async def test_unknown_event_names_are_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        await AuditLog(store).record("drop_tables")  # type: ignore[arg-type]


async def test_oversized_ip_is_truncated_not_rejected(store: Store) -> None:
    audit = AuditLog(store)
    await audit.record("login_failed", ip="9" * 500)
    assert (await audit.list_events())[0].ip == "9" * 64
