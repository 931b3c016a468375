"""The argon2 queue is bounded: past ``hash_queue_limit`` waiting hashes, HashQueueFull at once
(issue 10, item 5), and a drained queue admits work again."""

from __future__ import annotations

import asyncio

import pytest

from jotauth.settings import Settings
from jotauth.users import HashQueueFull, PasswordHasher


def _hasher(*, workers: int, limit: int | None) -> PasswordHasher:
    return PasswordHasher(
        Settings(
            argon2_time_cost=2,
            argon2_memory_cost=8 * 1024,
            hash_workers=workers,
            hash_queue_limit=limit,
        )
    )


async def test_work_past_the_queue_limit_is_refused_at_once() -> None:
    hasher = _hasher(workers=1, limit=2)
    try:
        stored = await hasher.hash("correct horse battery staple")
        results = await asyncio.gather(
            *(hasher.verify(stored, f"guess {n}") for n in range(10)), return_exceptions=True
        )
        # One running and two waiting were admitted; the seven others never reached argon2.
        assert results[:3] == [False, False, False]
        assert all(isinstance(result, HashQueueFull) for result in results[3:])
        assert all(result.code == "hash_queue_full" for result in results[3:])  # type: ignore[union-attr]
        assert hasher.queue_depth == 0
        assert await hasher.verify(stored, "correct horse battery staple")  # drained: admitted
    finally:
        hasher.close()


async def test_the_default_limit_is_eight_waiting_hashes_per_worker() -> None:
    hasher = _hasher(workers=2, limit=None)
    try:
        results = await asyncio.gather(
            *(hasher.hash(f"password {n}") for n in range(30)), return_exceptions=True
        )
        admitted = [result for result in results if isinstance(result, str)]
        assert len(admitted) == 2 + 16
        assert all(isinstance(result, HashQueueFull) for result in results[18:])
    finally:
        hasher.close()


async def test_a_caller_that_gives_up_frees_its_place_in_the_queue() -> None:
    hasher = _hasher(workers=1, limit=1)
    try:
        running = asyncio.ensure_future(hasher.hash("first password"))
        waiting = asyncio.ensure_future(hasher.hash("second password"))
        await asyncio.sleep(0)
        assert hasher.queue_depth == 1
        with pytest.raises(HashQueueFull):
            await hasher.hash("third password")
        waiting.cancel()  # the client went away while its hash was queued: it never runs
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await asyncio.sleep(0.01)
        assert hasher.queue_depth == 0
        assert isinstance(await hasher.hash("fourth password"), str)
        await running
    finally:
        hasher.close()
