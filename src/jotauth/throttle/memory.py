"""In-process login throttle: the default for a single auth-server instance."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

from jotauth.settings import Settings
from jotauth.throttle.base import account_key, ip_key


class InMemoryLoginThrottle:
    """Fixed-window counters, lost on restart and not shared between processes.

    Every window lasts ``login_window`` seconds from its first attempt, so counters ordered by
    when their window started are also ordered by when it ends. The ``OrderedDict`` keeps that
    order (a restarted window moves to the end), which makes expiry incremental: each call pops
    only the expired counters at the front, amortised O(1), never a pass over every counter
    (a spray of random emails must not turn each login into an O(n) rebuild).
    """

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = settings.login_window
        self._account_limit = settings.login_attempts_per_account
        self._ip_limit = settings.login_attempts_per_ip
        self._max_counters = settings.login_throttle_max_counters
        self._clock = clock
        # key -> (window end, count), in order of window end.
        self._counters: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def __len__(self) -> int:
        """How many counters are held (bounded by ``login_throttle_max_counters``)."""
        return len(self._counters)

    async def acquire(self, *, account: str, ip: str | None) -> int:
        """Count one attempt; 0 when it may proceed, else seconds to wait."""
        now = self._clock()
        self._expire(now)
        if ip:
            ip_wait = self._count(ip_key(ip), self._ip_limit, now)
            if ip_wait:
                # The address is over its limit: answer without counting the account, so a
                # throttled address cannot keep adding one counter per random email.
                return ip_wait
        return self._count(account_key(account), self._account_limit, now)

    async def succeeded(self, *, account: str, ip: str | None) -> None:
        """Clear the account's counter; give the address its attempt back."""
        self._counters.pop(account_key(account), None)
        if ip:
            key = ip_key(ip)
            end, count = self._counters.get(key, (0.0, 0))
            if count > 1:
                self._counters[key] = (end, count - 1)  # same window: its position stays
            else:
                self._counters.pop(key, None)

    async def ping(self) -> None:
        """Always ready: the counters live in this process."""

    async def close(self) -> None:
        """Nothing to release."""

    def _count(self, key: str, limit: int, now: float) -> int:
        current = self._counters.get(key)
        if current is None or current[0] <= now:
            if current is not None:
                del self._counters[key]
            elif len(self._counters) >= self._max_counters:
                # Hard cap on memory: drop the counter whose window ends soonest. Reaching it
                # needs many addresses, since one address stops adding counters at its limit.
                self._counters.popitem(last=False)
            end, count = now + self._window, 1
        else:
            end, count = current[0], current[1] + 1
        self._counters[key] = (end, count)  # a new window goes to the end, in order
        return math.ceil(end - now) if count > limit else 0

    def _expire(self, now: float) -> None:
        counters = self._counters
        while counters:
            key = next(iter(counters))
            if counters[key][0] > now:
                return
            del counters[key]
