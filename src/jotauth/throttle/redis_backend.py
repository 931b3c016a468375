"""Login throttle in Redis: shared by every auth-server instance (DESIGN §9)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import redis.asyncio as redis_asyncio
from redis.exceptions import RedisError

from jotauth.settings import Settings
from jotauth.throttle.base import ThrottleUnavailable, account_key, ip_key

_log = logging.getLogger("jotauth.throttle")

# Every way the Redis client reports "no answer now": RedisError (refused, reset, timeout, a
# server shutting down), OSError from the socket layer (TimeoutError is one), and RuntimeError,
# which uvloop raises when redis-py writes to a transport the peer has just reset ("handler is
# closed", "unable to perform operation on <TCPTransport closed=True>"). Each must become a
# 503, never a 500 and never a skipped limit (issue 10, item 7).
_CLIENT_FAILURES: tuple[type[BaseException], ...] = (RedisError, OSError, RuntimeError)

# A throttle that cannot answer quickly must not hold the login request for long.
_SOCKET_TIMEOUT_S = 2.0

# INCR the counter; start its window (EXPIRE) on the first attempt only; return count and TTL.
# One script per key keeps INCR and EXPIRE atomic even when the client dies in between.
_COUNT_ATTEMPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
"""
_REFUND_ATTEMPT = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 1 then return redis.call('DECR', KEYS[1]) end
redis.call('DEL', KEYS[1])
return 0
"""


class RedisLoginThrottle:
    """Fixed-window counters as Redis keys with a TTL, under ``prefix``."""

    def __init__(
        self,
        settings: Settings,
        *,
        client: redis_asyncio.Redis | None = None,
        prefix: str = "jotauth:throttle:",
    ) -> None:
        if client is None:
            if not settings.redis_url:
                raise ValueError("RedisLoginThrottle needs settings.redis_url or a client")
            client = redis_asyncio.Redis.from_url(
                settings.redis_url,
                socket_timeout=_SOCKET_TIMEOUT_S,
                socket_connect_timeout=_SOCKET_TIMEOUT_S,
            )
        self._redis = client
        self._prefix = prefix
        self._window = settings.login_window
        self._account_limit = settings.login_attempts_per_account
        self._ip_limit = settings.login_attempts_per_ip
        self._count = self._redis.register_script(_COUNT_ATTEMPT)
        self._refund = self._redis.register_script(_REFUND_ATTEMPT)

    async def acquire(self, *, account: str, ip: str | None) -> int:
        """Count one attempt; 0 when it may proceed, else seconds to wait.

        Each count is one ``INCR``-first script, so parallel attempts on any number of
        instances each get a distinct count and at most the limit of them proceed.
        """
        with _client_failures_as_unavailable():
            if ip:
                wait = await self._count_one(ip_key(ip), self._ip_limit)
                if wait:
                    # The address is over its limit: the account is not counted, so a
                    # throttled address cannot create one Redis key per random email.
                    return wait
            return await self._count_one(account_key(account), self._account_limit)

    async def _count_one(self, key: str, limit: int) -> int:
        count, ttl = await self._count(keys=[self._prefix + key], args=[self._window])
        return max(int(ttl), 1) if int(count) > limit else 0

    async def succeeded(self, *, account: str, ip: str | None) -> None:
        """Clear the account's counter; give the address its attempt back."""
        with _client_failures_as_unavailable():
            await self._redis.delete(self._prefix + account_key(account))
            if ip:
                await self._refund(keys=[self._prefix + ip_key(ip)])

    async def ping(self) -> None:
        """Raise :class:`ThrottleUnavailable` unless Redis answers ``PING``."""
        with _client_failures_as_unavailable():
            await self._redis.ping()

    async def close(self) -> None:
        """Close the connection pool (a dead connection is not an error at shutdown)."""
        with contextlib.suppress(*_CLIENT_FAILURES):
            await self._redis.aclose()


@contextlib.contextmanager
def _client_failures_as_unavailable() -> Iterator[None]:
    try:
        yield
    except _CLIENT_FAILURES as error:
        # The client's message can name hosts: log the type only, as the store does.
        _log.warning("redis unavailable: %s", type(error).__name__)
        raise ThrottleUnavailable() from error
