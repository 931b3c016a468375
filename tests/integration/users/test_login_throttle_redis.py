"""The Redis login throttle, against the real Redis server: shared by several instances."""

from __future__ import annotations

import pytest
import redis.asyncio as redis_asyncio

from jotauth.settings import Settings
from jotauth.store import StoreUnavailable
from jotauth.throttle import ThrottleUnavailable, login_throttle_for
from jotauth.throttle.redis_backend import RedisLoginThrottle

pytestmark = pytest.mark.redis


def _settings(redis_url: str) -> Settings:
    return Settings(
        redis_url=redis_url, login_attempts_per_account=3, login_attempts_per_ip=5, login_window=60
    )


async def test_two_instances_share_one_account_limit(redis_url: str, redis_prefix: str) -> None:
    settings = _settings(redis_url)
    first = RedisLoginThrottle(settings, prefix=redis_prefix)
    second = RedisLoginThrottle(settings, prefix=redis_prefix)
    try:
        assert await first.acquire(account="a@example.com", ip=None) == 0
        assert await second.acquire(account="a@example.com", ip=None) == 0
        assert await first.acquire(account="a@example.com", ip=None) == 0
        retry_after = await second.acquire(account="a@example.com", ip=None)
        assert 0 < retry_after <= 60
    finally:
        await first.close()
        await second.close()


async def test_address_limit_and_refund_on_success(redis_url: str, redis_prefix: str) -> None:
    throttle = RedisLoginThrottle(_settings(redis_url), prefix=redis_prefix)
    try:
        for n in range(4):
            assert await throttle.acquire(account=f"u{n}@example.com", ip="198.51.100.9") == 0
        await throttle.succeeded(account="u3@example.com", ip="198.51.100.9")
        for n in range(2):
            assert await throttle.acquire(account=f"v{n}@example.com", ip="198.51.100.9") == 0
        assert await throttle.acquire(account="w@example.com", ip="198.51.100.9") > 0
    finally:
        await throttle.close()


async def test_an_address_over_its_limit_creates_no_account_keys(
    redis_url: str, redis_prefix: str
) -> None:
    throttle = RedisLoginThrottle(_settings(redis_url), prefix=redis_prefix)
    client = redis_asyncio.Redis.from_url(redis_url)
    try:
        for n in range(5):
            await throttle.acquire(account=f"u{n}@example.com", ip="198.51.100.7")
        for n in range(20):
            assert await throttle.acquire(account=f"spray{n}@example.com", ip="198.51.100.7") > 0
        keys = [key async for key in client.scan_iter(match=f"{redis_prefix}*")]
        assert len(keys) == 6  # five accounts and the address
    finally:
        await throttle.close()
        await client.aclose()


async def test_keys_expire_with_the_window_and_hold_no_email_address(
    redis_url: str, redis_prefix: str
) -> None:
    throttle = RedisLoginThrottle(_settings(redis_url), prefix=redis_prefix)
    client = redis_asyncio.Redis.from_url(redis_url)
    try:
        await throttle.acquire(account="secret.person@example.com", ip="198.51.100.9")
        keys = [key.decode() async for key in client.scan_iter(match=f"{redis_prefix}*")]
        assert len(keys) == 2
        assert not any("secret.person" in key for key in keys)
        for key in keys:
            assert 0 < await client.ttl(key) <= 60
    finally:
        await client.aclose()
        await throttle.close()


async def test_the_settings_choose_redis_when_a_url_is_set(redis_url: str) -> None:
    throttle = login_throttle_for(_settings(redis_url))
    assert isinstance(throttle, RedisLoginThrottle)
    await throttle.close()


async def test_redis_down_is_reported_as_unavailable_not_skipped() -> None:
    throttle = RedisLoginThrottle(_settings("redis://127.0.0.1:1/0"))
    try:
        with pytest.raises(ThrottleUnavailable) as caught:
            await throttle.acquire(account="a@example.com", ip=None)
        # Its own code (503 like the store's), and still a StoreUnavailable for callers.
        assert caught.value.code == "throttle_unavailable"
        assert isinstance(caught.value, StoreUnavailable)
    finally:
        await throttle.close()
