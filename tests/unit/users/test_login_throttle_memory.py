"""In-process login throttle: per account and per address, fixed windows, retry-after."""

from __future__ import annotations

from jotauth.settings import Settings
from jotauth.throttle import InMemoryLoginThrottle, login_throttle_for
from tests.support.clock import SettableClock

SETTINGS = Settings(login_attempts_per_account=3, login_attempts_per_ip=5, login_window=60)


async def test_an_account_is_throttled_after_its_limit_until_the_window_ends() -> None:
    clock = SettableClock(1000.0)
    throttle = InMemoryLoginThrottle(SETTINGS, clock=clock)
    for _ in range(3):
        assert await throttle.acquire(account="a@example.com", ip=None) == 0
    clock.now += 20
    assert await throttle.acquire(account="a@example.com", ip=None) == 40
    assert await throttle.acquire(account="b@example.com", ip=None) == 0  # others unaffected
    clock.now += 40
    assert await throttle.acquire(account="a@example.com", ip=None) == 0


async def test_an_address_is_throttled_across_accounts() -> None:
    throttle = InMemoryLoginThrottle(SETTINGS, clock=SettableClock(1000.0))
    for n in range(5):
        assert await throttle.acquire(account=f"user{n}@example.com", ip="198.51.100.1") == 0
    assert await throttle.acquire(account="fresh@example.com", ip="198.51.100.1") == 60
    assert await throttle.acquire(account="fresh2@example.com", ip="198.51.100.2") == 0


async def test_a_good_login_clears_the_account_and_refunds_the_address() -> None:
    throttle = InMemoryLoginThrottle(SETTINGS, clock=SettableClock(1000.0))
    for _ in range(2):
        await throttle.acquire(account="a@example.com", ip="198.51.100.1")
    await throttle.succeeded(account="a@example.com", ip="198.51.100.1")
    for _ in range(3):
        assert await throttle.acquire(account="a@example.com", ip="198.51.100.1") == 0
    assert await throttle.acquire(account="a@example.com", ip="198.51.100.1") > 0


async def test_the_settings_choose_the_in_process_throttle_without_redis() -> None:
    assert isinstance(login_throttle_for(SETTINGS), InMemoryLoginThrottle)


async def test_counters_of_a_spray_attack_are_swept_once_their_window_is_over() -> None:
    clock = SettableClock(1000.0)
    throttle = InMemoryLoginThrottle(SETTINGS, clock=clock)
    for n in range(10_001):
        await throttle.acquire(account=f"victim{n}@example.com", ip=None)
    clock.now += 61
    await throttle.acquire(account="next@example.com", ip=None)
    assert len(throttle) == 1


async def test_an_address_over_its_limit_adds_no_account_counters() -> None:
    throttle = InMemoryLoginThrottle(SETTINGS, clock=SettableClock(1000.0))
    for n in range(5):
        await throttle.acquire(account=f"user{n}@example.com", ip="198.51.100.1")
    held = len(throttle)
    for n in range(1000):
        assert await throttle.acquire(account=f"spray{n}@example.com", ip="198.51.100.1") > 0
    assert len(throttle) == held


async def test_the_number_of_counters_is_hard_capped_under_a_distributed_spray() -> None:
    settings = Settings(login_attempts_per_ip=5, login_window=60, login_throttle_max_counters=100)
    throttle = InMemoryLoginThrottle(settings, clock=SettableClock(1000.0))
    for n in range(1000):
        await throttle.acquire(account=f"spray{n}@example.com", ip=f"10.0.{n // 256}.{n % 256}")
        assert len(throttle) <= 100


async def test_expiry_is_incremental_and_keeps_live_counters() -> None:
    clock = SettableClock(1000.0)
    throttle = InMemoryLoginThrottle(SETTINGS, clock=clock)
    for n in range(50):
        await throttle.acquire(account=f"early{n}@example.com", ip=None)
    clock.now += 30
    for n in range(50):
        await throttle.acquire(account=f"late{n}@example.com", ip=None)
    clock.now += 31  # the early windows are over, the late ones are not
    await throttle.acquire(account="next@example.com", ip=None)
    assert len(throttle) == 51
    for _ in range(2):
        await throttle.acquire(account="late0@example.com", ip=None)
    assert await throttle.acquire(account="late0@example.com", ip=None) > 0
