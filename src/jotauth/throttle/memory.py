"""In-process login throttle: the default for a single auth-server instance."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from jotauth.settings import Settings
from jotauth.throttle.base import account_key, ip_key

# Beyond this many live counters, expired ones are swept (bounded memory under a spray attack).
_SWEEP_AT = 10_000


class InMemoryLoginThrottle:
    """Fixed-window counters in a dict: lost on restart, not shared between processes."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = settings.login_window
        self._limits = {
            "acct": settings.login_attempts_per_account,
            "ip": settings.login_attempts_per_ip,
        }
        self._clock = clock
        self._counters: dict[str, tuple[float, int]] = {}  # key -> (window end, count)

    async def acquire(self, *, account: str, ip: str | None) -> int:
        """Count one attempt; 0 when it may proceed, else seconds to wait."""
        now = self._clock()
        if len(self._counters) > _SWEEP_AT:
            self._counters = {k: v for k, v in self._counters.items() if v[0] > now}
        wait = 0.0
        for key, limit in self._keys(account, ip):
            end, count = self._counters.get(key, (0.0, 0))
            if end <= now:
                end, count = now + self._window, 0
            count += 1
            self._counters[key] = (end, count)
            if count > limit:
                wait = max(wait, end - now)
        return math.ceil(wait) if wait > 0 else 0

    async def succeeded(self, *, account: str, ip: str | None) -> None:
        """Clear the account's counter; give the address its attempt back."""
        self._counters.pop(account_key(account), None)
        if ip:
            key = ip_key(ip)
            end, count = self._counters.get(key, (0.0, 0))
            if count > 1:
                self._counters[key] = (end, count - 1)
            else:
                self._counters.pop(key, None)

    async def close(self) -> None:
        """Nothing to release."""

    def _keys(self, account: str, ip: str | None) -> list[tuple[str, int]]:
        keys = [(account_key(account), self._limits["acct"])]
        if ip:
            keys.append((ip_key(ip), self._limits["ip"]))
        return keys
