"""Login throttling per account and per client address, in process or in Redis.

``throttle = login_throttle_for(settings)`` picks Redis when ``settings.redis_url`` is set (shared
by every instance) and an in-process counter otherwise.
"""

from jotauth.settings import Settings
from jotauth.throttle.base import LoginThrottle, ThrottleUnavailable, account_key, ip_key
from jotauth.throttle.memory import InMemoryLoginThrottle


def login_throttle_for(settings: Settings) -> LoginThrottle:
    """The throttle the settings ask for: Redis with ``redis_url``, else in-process."""
    if settings.redis_url:
        from jotauth.throttle.redis_backend import RedisLoginThrottle

        return RedisLoginThrottle(settings)
    return InMemoryLoginThrottle(settings)


__all__ = [
    "InMemoryLoginThrottle",
    "LoginThrottle",
    "ThrottleUnavailable",
    "account_key",
    "ip_key",
    "login_throttle_for",
]
