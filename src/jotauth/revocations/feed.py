"""The auth server's side: the pollable document and the Redis announcements."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol

from jotauth.revocations.document import REDIS_CHANNEL, RevocationDocument

_log = logging.getLogger("jotauth.revocations")

# ``since`` -> (session id, revoked at) of the sessions ended after it.
RevokedSince = Callable[[float], Awaitable[list[tuple[str, float]]]]
# kid -> revoked at, of the signing keys revoked (in memory: the server's key ring).
RevokedKeys = Callable[[], Mapping[str, float]]


def _no_keys() -> Mapping[str, float]:
    return {}


class RevocationFeed:
    """Builds ``/.well-known/jotauth-revocations``: sessions ended within ``keep_for`` seconds.

    The document is rebuilt at most once per ``max_age`` seconds, however many guards poll:
    one indexed read of the store per period, whatever the polling load.
    """

    def __init__(
        self,
        revoked_since: RevokedSince,
        *,
        keep_for: float,
        max_age: int,
        revoked_keys: RevokedKeys = _no_keys,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._revoked_since = revoked_since
        self._revoked_keys = revoked_keys
        self._keep_for = keep_for
        self.max_age = max_age
        self._clock = clock
        self._built_at = -float("inf")
        self._document = RevocationDocument()
        self._lock = asyncio.Lock()

    async def document(self) -> RevocationDocument:
        """The current document (raises the store's ``StoreUnavailable`` when it is down)."""
        if self._clock() - self._built_at < self.max_age:
            return self._document
        async with self._lock:
            now = self._clock()
            if now - self._built_at >= self.max_age:
                since = now - self._keep_for
                ended = await self._revoked_since(since)
                self._document = RevocationDocument(
                    sessions={sid: at + self._keep_for for sid, at in ended},
                    keys={
                        kid: at + self._keep_for
                        for kid, at in self._revoked_keys().items()
                        if at > since
                    },
                )
                self._built_at = now
        return self._document


class Publisher(Protocol):
    """Where announcements go (a Redis client's ``publish``)."""

    def publish(self, channel: str, message: bytes) -> Awaitable[object]:
        """Send ``message`` to the subscribers of ``channel``."""


class RevocationAnnouncer:
    """Tells subscribed guards at once that sessions ended (Redis pub/sub).

    An announcement that cannot be sent is logged and dropped: the logout itself has
    committed, and guards that miss a message still see the revocation in the feed.
    """

    def __init__(
        self,
        publisher: Publisher,
        *,
        keep_for: float,
        clock: Callable[[], float] = time.time,
        channel: str = REDIS_CHANNEL,
    ) -> None:
        self._publisher = publisher
        self._keep_for = keep_for
        self._clock = clock
        self._channel = channel

    async def __call__(self, session_ids: Sequence[str]) -> None:
        """Announce that ``session_ids`` just ended."""
        until = self._clock() + self._keep_for
        message = RevocationDocument(sessions=dict.fromkeys(session_ids, until)).to_json()
        try:
            # Bounded: a blackholed Redis must not hold up the logout that announces.
            await asyncio.wait_for(self._publisher.publish(self._channel, message), timeout=1)
        except Exception as error:  # any client failure or time-out: the feed carries it
            _log.warning("revocation announcement not sent: %s", type(error).__name__)
