"""Login throttling: the interface both backends implement, and shared key derivation.

Attempts are counted per account and per client address in fixed windows of
``settings.login_window`` seconds that start at the first attempt (OWASP Authentication Cheat
Sheet, "Protect against automated attacks"). An attempt is counted *before* the password is
checked, so a burst of parallel guesses cannot slip past the limit while hashes are running; a
successful login clears the account's count and refunds its address's.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from jotauth.errors import ErrorCode
from jotauth.store.errors import StoreUnavailable


class ThrottleUnavailable(StoreUnavailable):
    """The shared throttle (Redis) cannot be reached: answer 503 rather than skip the limit.

    A subclass of ``StoreUnavailable`` so every caller that already treats an outage as
    "retry later" (never as a failed login) does the same for the throttle.
    """

    code = ErrorCode.THROTTLE_UNAVAILABLE
    default_detail = "the login throttle is temporarily unavailable"


class LoginThrottle(Protocol):
    """Counts login attempts; same behaviour in-process and in Redis."""

    async def acquire(self, *, account: str, ip: str | None) -> int:
        """Count one attempt; 0 when it may proceed, else the seconds until it may be retried."""
        ...

    async def succeeded(self, *, account: str, ip: str | None) -> None:
        """Forget the account's attempts and refund the address's attempt after a good login."""
        ...

    async def ping(self) -> None:
        """Raise :class:`ThrottleUnavailable` unless the throttle can count right now."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def account_key(account: str) -> str:
    """The throttle key for an account: a digest, so no store ever holds the address itself."""
    return "acct:" + hashlib.sha256(account.encode("utf-8")).hexdigest()[:32]


def ip_key(ip: str) -> str:
    """The throttle key for a client address."""
    return "ip:" + ip[:64]
