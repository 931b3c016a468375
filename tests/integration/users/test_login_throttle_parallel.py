"""Parallel password guesses cannot exceed the throttle (issue 10, item 14; Zitadel
GHSA-7h8m-vrxx-vr4m): 50 wrong passwords sent at once for one account evaluate at most
``login_attempts_per_account`` of them, on one instance and across two sharing Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from jotauth.settings import Settings
from jotauth.store import AuditLog, open_store
from jotauth.throttle import InMemoryLoginThrottle, LoginThrottle
from jotauth.throttle.redis_backend import RedisLoginThrottle
from jotauth.users import LoginThrottled, PasswordHasher, UserService

LIMIT = 5
PASSWORD = "correct horse battery staple"


class CountingHasher(PasswordHasher):
    """A real argon2 hasher that counts the passwords it evaluates."""

    verifications = 0

    async def verify(
        self, password_hash: str, password: str, *, as_typed: str | None = None
    ) -> bool:
        CountingHasher.verifications += 1
        return await super().verify(password_hash, password, as_typed=as_typed)


def _settings(database_url: str, **overrides: object) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="parallel-throttle-secret-0123456789abcdef",
        argon2_time_cost=1,
        argon2_memory_cost=1024,
        hash_queue_limit=100,  # this test is about the throttle, not the hash queue
        login_attempts_per_account=LIMIT,
        login_attempts_per_ip=10_000,
        **overrides,  # type: ignore[arg-type]
    )


async def _guess_in_parallel(
    settings: Settings, throttles: Sequence[LoginThrottle], email: str
) -> tuple[int, list[object]]:
    """Create the account, then send 50 wrong passwords at once, spread over one service
    (one auth-server instance) per throttle; the passwords evaluated and every outcome."""
    CountingHasher.verifications = 0
    store = await open_store(settings)
    hashers = [CountingHasher(settings) for _ in throttles]
    services = [
        UserService(store, hasher, throttle=throttle, audit=AuditLog(store), min_password_length=12)
        for hasher, throttle in zip(hashers, throttles, strict=True)
    ]
    try:
        await services[0].create_user(email, PASSWORD)
        outcomes = await asyncio.gather(
            *(
                services[n % len(services)].authenticate(
                    email, f"wrong guess number {n}", ip=f"198.51.100.{n}"
                )
                for n in range(50)
            ),
            return_exceptions=True,
        )
        return CountingHasher.verifications, outcomes
    finally:
        for hasher in hashers:
            hasher.close()
        for throttle in throttles:
            await throttle.close()
        await store.close()


def _assert_at_most_the_limit_evaluated(verifications: int, outcomes: list[object]) -> None:
    assert verifications == LIMIT
    assert outcomes.count(None) == LIMIT  # the evaluated guesses: wrong password
    throttled = [outcome for outcome in outcomes if isinstance(outcome, LoginThrottled)]
    assert len(throttled) == 50 - LIMIT


async def test_fifty_parallel_guesses_on_one_instance_evaluate_at_most_the_limit(
    database_url: str,
) -> None:
    settings = _settings(database_url)
    verifications, outcomes = await _guess_in_parallel(
        settings, [InMemoryLoginThrottle(settings)], "one-instance@example.com"
    )
    _assert_at_most_the_limit_evaluated(verifications, outcomes)


@pytest.mark.redis
async def test_fifty_parallel_guesses_across_two_instances_sharing_redis_evaluate_at_most_the_limit(
    database_url: str, redis_url: str, redis_prefix: str
) -> None:
    settings = _settings(database_url, redis_url=redis_url)
    two_instances: list[LoginThrottle] = [
        RedisLoginThrottle(settings, prefix=redis_prefix) for _ in range(2)
    ]
    verifications, outcomes = await _guess_in_parallel(
        settings, two_instances, "two-instances@example.com"
    )
    _assert_at_most_the_limit_evaluated(verifications, outcomes)
