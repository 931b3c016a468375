"""The guard's side of the revocation fan-out (DESIGN §9): refuse ended sessions' tokens.

Access tokens are trusted by signature and expiry alone, so a logout, a password change or an
admin revoke at the auth server would leave a copied access token working until it expires.
Guards that opt in learn of ended sessions within about a second, and refuse their tokens:

* :class:`PolledRevocations` polls ``/.well-known/jotauth-revocations`` (ETag, ``max-age``);
* :class:`RedisRevocations` subscribes to the auth server's Redis channel (at once); given
  the document's URL (``catch_up_url``) it reads it after every (re)subscription, so nothing
  published while it was disconnected is missed.

Memory is bounded: a session is remembered only until its access tokens have expired
(``refuse until`` in the feed), and never more than ``max_entries`` at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import httpx

from jotauth.extras import require_modules
from jotauth.revocations import MAX_ENTRIES, REDIS_CHANNEL, InvalidRevocationDocument
from jotauth.revocations import RevocationDocument as _Document

_log = logging.getLogger("jotauth.guard.revocations")
_MAX_FEED_BYTES = 16 * 1024 * 1024


class RevocationCheck(Protocol):
    """What the guard asks of a revocation source (every class below is one)."""

    def is_revoked(self, session_id: str | None) -> bool:
        """Whether tokens of ``session_id`` must be refused now."""


class ForgetsKeys(Protocol):
    """A key cache that can drop revoked keys at once (``JWKSClient``, ``SyncJWKSClient``)."""

    def forget(self, kids: Iterable[str]) -> None:
        """Drop these keys now."""


class RevocationList:
    """Ended sessions to refuse, each until its access tokens have expired; revoked signing
    keys are passed to ``keys`` (the verifier's JWKS client), which drops them at once."""

    def __init__(
        self,
        *,
        keys: ForgetsKeys | None = None,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._until: dict[str, float] = {}
        self._keys = keys
        self._forgotten_keys: dict[str, float] = {}
        self._max_entries = max_entries
        self._clock = clock

    def apply(self, document: _Document) -> None:
        """Remember the document's sessions (a later ``until`` wins) and drop its keys."""
        now = self._clock()
        if document.keys and self._keys is not None:
            fresh = [kid for kid in document.keys if kid not in self._forgotten_keys]
            if fresh:
                self._keys.forget(fresh)
            self._forgotten_keys = {
                kid: until
                for kid, until in {**self._forgotten_keys, **document.keys}.items()
                if until > now
            }
        for sid, until in document.sessions.items():
            if until > now and until > self._until.get(sid, 0.0):
                self._until[sid] = until
        if len(self._until) > self._max_entries:
            self._prune(now)

    def is_revoked(self, session_id: str | None) -> bool:
        """Whether tokens of ``session_id`` must be refused now."""
        if not session_id:
            return False
        until = self._until.get(session_id)
        if until is None:
            return False
        if until <= self._clock():
            del self._until[session_id]
            return False
        return True

    def __len__(self) -> int:
        return len(self._until)

    def _prune(self, now: float) -> None:
        live = {sid: until for sid, until in self._until.items() if until > now}
        if len(live) > self._max_entries:
            # Forget the entries that expire soonest: their tokens are closest to expiry.
            kept = sorted(live.items(), key=lambda item: item[1])[-self._max_entries :]
            live = dict(kept)
        self._until = live


class _FedInBackground(RevocationList):
    """A list kept current by a background task, started with the first check (or
    ``start()``) in the running event loop and stopped by :meth:`aclose`."""

    _task_name = "jotauth-revocations"

    def __init__(
        self, *, keys: ForgetsKeys | None, max_entries: int, clock: Callable[[], float]
    ) -> None:
        super().__init__(keys=keys, max_entries=max_entries, clock=clock)
        self._task: asyncio.Task[None] | None = None

    def is_revoked(self, session_id: str | None) -> bool:
        """As :meth:`RevocationList.is_revoked`, starting the background task on first use."""
        if self._task is None:
            self._start_in_running_loop()
        return super().is_revoked(session_id)

    async def aclose(self) -> None:
        """Stop the background task."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _start_in_running_loop(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a sync caller): nothing to run it in yet
        self._task = loop.create_task(self._run(), name=self._task_name)

    async def _run(self) -> None:
        raise NotImplementedError


class PolledRevocations(_FedInBackground):
    """Polls the auth server's revocation document every ``interval`` seconds.

    Polling starts with the first request the guard checks (or :meth:`start`); a feed that
    is down or answers garbage keeps what was known and is retried next period.
    """

    def __init__(
        self,
        url: str,
        *,
        interval: float = 1.0,
        timeout: float = 2.0,
        http_client: httpx.AsyncClient | None = None,
        keys: ForgetsKeys | None = None,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(keys=keys, max_entries=max_entries, clock=clock)
        self._reader = _FeedReader(url, into=self, timeout=timeout, http_client=http_client)
        self._interval = interval
        self.polls = 0  # successful polls, for tests and metrics

    async def start(self) -> None:
        """Fetch once now (so the list is current before the first request), then poll."""
        await self.poll_once()
        self._start_in_running_loop()

    async def aclose(self) -> None:
        """Stop polling and close the HTTP client this instance created."""
        await super().aclose()
        await self._reader.aclose()

    async def poll_once(self) -> bool:
        """Fetch the document once; False when the feed could not be read."""
        read = await self._reader.read()
        self.polls += read
        return read

    async def _run(self) -> None:
        while True:
            await self.poll_once()
            await asyncio.sleep(self._interval)


class RedisRevocations(_FedInBackground):
    """Subscribes to the auth server's revocation channel on a shared Redis."""

    def __init__(
        self,
        redis_url: str,
        *,
        channel: str = REDIS_CHANNEL,
        catch_up_url: str | None = None,
        keys: ForgetsKeys | None = None,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.time,
        reconnect_delay: float = 0.5,
    ) -> None:
        require_modules("redis", needed_by="RedisRevocations")
        super().__init__(keys=keys, max_entries=max_entries, clock=clock)
        # The catch-up reader shares this list: it applies the feed into it.
        self._catch_up = _FeedReader(catch_up_url, into=self) if catch_up_url is not None else None
        self._redis_url = redis_url
        self._channel = channel
        self._reconnect_delay = reconnect_delay
        self._subscribed = asyncio.Event()
        self.messages = 0  # messages applied, for tests and metrics

    async def start(self, *, timeout: float = 5.0) -> None:
        """Subscribe now and wait (up to ``timeout``) until the subscription is live."""
        self._start_in_running_loop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout)

    async def aclose(self) -> None:
        """Unsubscribe."""
        await super().aclose()
        if self._catch_up is not None:
            await self._catch_up.aclose()

    async def _run(self) -> None:
        import redis.asyncio as redis_asyncio
        from redis.exceptions import RedisError

        while True:
            client: Any = redis_asyncio.Redis.from_url(self._redis_url, socket_connect_timeout=2)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    if self._catch_up is not None:
                        await self._catch_up.read()
                    self._subscribed.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._apply_message(message.get("data"))
            except (RedisError, OSError, RuntimeError) as error:
                _log.warning("revocation channel lost: %s", type(error).__name__)
            finally:
                self._subscribed.clear()
                with contextlib.suppress(RedisError, OSError, RuntimeError):
                    await client.aclose()
            await asyncio.sleep(self._reconnect_delay)

    def _apply_message(self, data: object) -> None:
        if not isinstance(data, bytes | str):
            return
        try:
            self.apply(_Document.from_json(data))
        except InvalidRevocationDocument:
            _log.warning("revocation message refused: not a revocation document")
            return
        self.messages += 1


class _FeedReader:
    """Reads the revocation document into a list, conditionally (ETag)."""

    def __init__(
        self,
        url: str,
        *,
        into: RevocationList,
        timeout: float = 2.0,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._url = url
        self._into = into
        self._http = http_client or httpx.AsyncClient(timeout=timeout)
        self._owns_http = http_client is None
        self._etag: str | None = None

    async def read(self) -> bool:
        """Apply the current document; False when the feed could not be read (what was
        known is kept)."""
        headers = {"If-None-Match": self._etag} if self._etag else {}
        try:
            async with self._http.stream("GET", self._url, headers=headers) as response:
                if response.status_code == 304:
                    return True
                if response.status_code != 200:
                    _log.warning("revocation feed answered %s", response.status_code)
                    return False
                document = _Document.from_json(await _read_bounded(response))
        except (httpx.HTTPError, InvalidRevocationDocument, OverflowError) as error:
            _log.warning("revocation feed unreadable: %s", type(error).__name__)
            return False
        self._into.apply(document)
        self._etag = response.headers.get("etag")
        return True

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()


async def _read_bounded(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > _MAX_FEED_BYTES:
            raise OverflowError("revocation feed too large")
        chunks.append(chunk)
    return b"".join(chunks)
