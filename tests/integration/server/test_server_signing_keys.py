"""Signing-key lifecycle persisted in the store: rotation, pre-publication, revocation."""

from typing import Any

import pytest

from jotauth.composition import signing_keys_for
from jotauth.keys import SigningKeys, SigningKeysError
from jotauth.settings import Settings
from jotauth.store import Store
from tests.support.clock import SettableClock

SECRET = b"test-secret-key-0123456789abcdef0123456789"


def _keys(store: Store, clock: SettableClock, **overrides: Any) -> SigningKeys:
    settings = Settings(
        algorithm="ES256",
        jwks_max_age=60,
        key_rotation_period=3600,
        access_token_ttl=300,
        leeway=30,
        **overrides,
    )
    return signing_keys_for(settings, store, SECRET, clock=clock)


def _kids(keys: SigningKeys) -> set[str]:
    return {jwk["kid"] for jwk in keys.jwks()["keys"]}


async def test_first_start_creates_a_current_key_and_prepublishes_the_next(store: Store) -> None:
    keys = _keys(store, SettableClock(1_000_000.0))
    await keys.start()
    states = {k.state.value for k in keys.managed_keys()}
    assert states == {"current", "next"}
    assert keys.signing_key().kid in _kids(keys)
    assert len(_kids(keys)) == 2


async def test_a_second_instance_loads_the_same_keys(store: Store) -> None:
    clock = SettableClock(1_000_000.0)
    first, second = _keys(store, clock), _keys(store, clock)
    await first.start()
    await second.start()
    assert second.signing_key().kid == first.signing_key().kid
    assert _kids(second) == _kids(first)


async def test_rotation_waits_until_the_next_key_was_published_one_cache_period(
    store: Store,
) -> None:
    clock = SettableClock(1_000_000.0)
    keys = _keys(store, clock)
    await keys.start()
    old = keys.signing_key().kid
    clock.now += 30  # less than jwks_max_age
    result = await keys.rotate()
    assert result.outcome == "waiting"
    assert keys.signing_key().kid == old
    clock.now += 31
    result = await keys.rotate()
    assert result.outcome == "promoted"
    assert keys.signing_key().kid != old
    # The old key stays published (retired) so tokens it signed keep verifying.
    assert old in _kids(keys)
    assert result.next_kid in _kids(keys)


async def test_retired_key_disappears_after_its_last_token_expired(store: Store) -> None:
    clock = SettableClock(1_000_000.0)
    keys = _keys(store, clock)
    await keys.start()
    old = keys.signing_key().kid
    clock.now += 61
    await keys.rotate()
    clock.now += 300 + 30 - 1
    await keys.tick()
    assert old in _kids(keys)
    clock.now += 2
    await keys.tick()
    assert old not in _kids(keys)


async def test_automatic_rotation_after_the_period(store: Store) -> None:
    clock = SettableClock(1_000_000.0)
    keys = _keys(store, clock)
    await keys.start()
    old = keys.signing_key().kid
    clock.now += 3599
    await keys.tick()
    assert keys.signing_key().kid == old
    clock.now += 2
    await keys.tick()
    assert keys.signing_key().kid != old


async def test_revoking_the_current_key_unpublishes_it_and_another_key_signs(store: Store) -> None:
    clock = SettableClock(1_000_000.0)
    keys = _keys(store, clock)
    await keys.start()
    old = keys.signing_key().kid
    await keys.revoke(old)
    assert old not in _kids(keys)
    assert keys.signing_key().kid != old
    assert {k.state.value for k in keys.managed_keys()} >= {"current", "next", "revoked"}


async def test_revocation_by_another_instance_is_seen_on_the_next_tick(store: Store) -> None:
    clock = SettableClock(1_000_000.0)
    server, cli = _keys(store, clock), _keys(store, clock)
    await server.start()
    victim = server.signing_key().kid
    await cli.revoke(victim)
    assert victim in _kids(server)
    await server.tick()
    assert victim not in _kids(server)
    assert server.signing_key().kid != victim


async def test_revoking_an_unknown_kid_is_an_error(store: Store) -> None:
    keys = _keys(store, SettableClock(1_000_000.0))
    await keys.start()
    with pytest.raises(SigningKeysError):
        await keys.revoke("no-such-kid")


async def test_concurrent_first_starts_converge_on_one_current_key(store: Store) -> None:
    import asyncio

    clock = SettableClock(1_000_000.0)
    instances = [_keys(store, clock) for _ in range(3)]
    await asyncio.gather(*(k.start() for k in instances))
    for k in instances:
        await k.tick()
    assert len({k.signing_key().kid for k in instances}) == 1
    assert len({frozenset(_kids(k)) for k in instances}) == 1


async def test_an_unchanged_ring_keeps_its_published_snapshot(store: Store) -> None:
    keys = _keys(store, SettableClock(1_000_000.0))
    await keys.start()
    before = keys.key_set()
    await keys.tick()
    assert keys.key_set() is before  # verifiers built on it keep their token cache
    await keys.rotate(force=True)
    assert keys.key_set() is not before
