"""Remote JWKS: cached keys, bounded refetch on unknown kids, stale-if-error.

The async :class:`JWKSClient` (httpx) serves ASGI apps; :class:`SyncJWKSClient` is the
same policy with blocking I/O for WSGI apps. The policy itself, :class:`_JWKSCache`, does
no I/O, so both share it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TypedDict, Unpack

import httpx

from ..jose import ALGORITHMS, Algorithm, InvalidKeySet, Key, KeySet, KeySetUnavailable
from ..jose.jwks import DEFAULT_MAX_KEYS

_log = logging.getLogger("jotauth.verify.jwks")
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:,|$)", re.IGNORECASE)
_NO_STORE = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)", re.IGNORECASE)
MAX_JWKS_BYTES = 512 * 1024


def cache_lifetime(
    cache_control: str | None, default: float, *, floor: float, ceiling: float
) -> float:
    """Seconds to keep a JWKS response, from its ``Cache-Control`` header (RFC 9111 §5.2).

    ``no-store``/``no-cache`` and tiny max-ages are raised to ``floor`` so a misconfigured
    endpoint cannot make us fetch on every request; huge ones are capped at ``ceiling`` so a
    revoked key still disappears in bounded time.
    """
    if not cache_control:
        lifetime = default
    elif _NO_STORE.search(cache_control):
        lifetime = floor
    else:
        match = _MAX_AGE.search(cache_control)
        lifetime = float(match.group(1)) if match else default
    return min(max(lifetime, floor), ceiling)


class _JWKSCache:
    """The caching and rate-limiting policy of a remote JWKS, without I/O."""

    def __init__(
        self,
        *,
        algorithms: Iterable[Algorithm],
        default_max_age: float,
        min_max_age: float,
        max_max_age: float,
        refetch_per_minute: int,
        max_keys: int,
        clock: Callable[[], float],
    ) -> None:
        self.algorithms = tuple(algorithms)
        self.default_max_age = default_max_age
        self.min_max_age = min_max_age
        self.max_max_age = max_max_age
        self.refetch_per_minute = refetch_per_minute
        self.max_keys = max_keys
        self.clock = clock
        self.keys: KeySet | None = None
        self.expires_at = 0.0
        self._fetches: deque[float] = deque()
        self.fetch_count = 0

    def lookup(self, kid: str | None) -> Key | None:
        keys = self.keys
        return keys.get(kid) if keys is not None else None

    def is_stale(self) -> bool:
        return self.keys is None or self.clock() >= self.expires_at

    def forget(self, kids: frozenset[str]) -> None:
        keys = self.keys
        if keys is not None and any(keys.get(kid) is not None for kid in kids):
            self.keys = KeySet([key for key in keys if key.kid not in kids])

    def may_fetch(self) -> bool:
        """Sliding-window limit on fetches: at most ``refetch_per_minute`` in 60 s, so a
        flood of random kids cannot become a flood of requests to the JWKS endpoint."""
        now = self.clock()
        window = self._fetches
        while window and now - window[0] >= 60:
            window.popleft()
        return len(window) < self.refetch_per_minute

    def note_fetch(self) -> None:
        self._fetches.append(self.clock())
        self.fetch_count += 1

    def accept(self, body: bytes, cache_control: str | None) -> None:
        """Parse a JWKS response; on any error raise and keep the previous keys."""
        if len(body) > MAX_JWKS_BYTES:
            raise InvalidKeySet("the JWKS response is too large")
        try:
            document = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise InvalidKeySet("the JWKS response is not JSON") from exc
        keys = KeySet.from_jwks(document, algorithms=self.algorithms, max_keys=self.max_keys)
        self.keys = self._keep_known_objects(keys)
        self.expires_at = self.clock() + cache_lifetime(
            cache_control, self.default_max_age, floor=self.min_max_age, ceiling=self.max_max_age
        )

    def _keep_known_objects(self, fresh: KeySet) -> KeySet:
        # The verifier's token cache trusts an entry while its key *object* is still the one
        # published, so an unchanged key must stay the same object across routine refetches;
        # otherwise every max-age would silently empty the cache.
        previous = self.keys
        if previous is None:
            return fresh
        kept = []
        for key in fresh:
            old = previous.get(key.kid)
            same = old is not None and old.alg == key.alg and old.thumbprint() == key.thumbprint()
            kept.append(old if same and old is not None else key)
        return KeySet(kept)

    def rate_limited(self, url: str) -> None:
        """No fetch allowed now: fine with cached keys, an error without any."""
        if self.keys is None:
            raise KeySetUnavailable(f"no keys from {url} yet and refetching is rate limited")

    def failed(self, url: str, reason: str) -> None:
        """After a failed fetch: keep stale keys (stale-if-error), retry after a short pause."""
        if self.keys is None:
            raise KeySetUnavailable(f"cannot fetch the JWKS from {url}: {reason}")
        _log.warning("JWKS fetch from %s failed (%s); serving cached keys", url, reason)
        self.expires_at = self.clock() + min(self.min_max_age, 30.0)


# identity: a compressed body could expand far past MAX_JWKS_BYTES within a single chunk.
_ACCEPT_JSON = {"Accept": "application/json", "Accept-Encoding": "identity"}


class _CappedBody:
    """A response body collected chunk by chunk, refused once it passes MAX_JWKS_BYTES."""

    __slots__ = ("_chunks", "_size")

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._size = 0

    def add(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > MAX_JWKS_BYTES:
            raise InvalidKeySet("the JWKS response is too large")
        self._chunks.append(chunk)

    def value(self) -> bytes:
        return b"".join(self._chunks)


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, InvalidKeySet):
        return exc.detail
    return type(exc).__name__


class JWKSOptions(TypedDict, total=False):
    """Keyword options of both JWKS clients (defaults in :class:`_RemoteKeySet`)."""

    algorithms: Iterable[Algorithm]
    max_age: float
    min_max_age: float
    max_max_age: float
    refetch_per_minute: int
    max_keys: int
    timeout: float
    clock: Callable[[], float]


class _RemoteKeySet:
    """Options, validation and the I/O-free half shared by both JWKS clients."""

    def __init__(
        self,
        url: str,
        *,
        algorithms: Iterable[Algorithm] = ALGORITHMS,
        max_age: float = 600,
        min_max_age: float = 5,
        max_max_age: float = 24 * 3600,
        refetch_per_minute: int = 10,
        max_keys: int = DEFAULT_MAX_KEYS,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("the JWKS URL must be http(s)")
        if refetch_per_minute < 1:
            raise ValueError("refetch_per_minute must be at least 1")
        self.url = url
        self._timeout = timeout
        self._cache = _JWKSCache(
            algorithms=algorithms,
            default_max_age=max_age,
            min_max_age=min_max_age,
            max_max_age=max_max_age,
            refetch_per_minute=refetch_per_minute,
            max_keys=max_keys,
            clock=clock,
        )

    @property
    def fetch_count(self) -> int:
        """How many fetches were attempted (for tests and metrics)."""
        return self._cache.fetch_count

    def lookup(self, kid: str | None) -> Key | None:
        """A cached key, without I/O (possibly stale)."""
        return self._cache.lookup(kid)

    def forget(self, kids: Iterable[str]) -> None:
        """Drop these keys from the cache now (the auth server revoked them): tokens they
        signed stop verifying at once, cached verifications included, without waiting for
        the JWKS max-age. A later fetch brings back only what is still published."""
        self._cache.forget(frozenset(kids))

    def is_stale(self) -> bool:
        """Whether the cached keys are past their max-age (or absent)."""
        return self._cache.is_stale()

    def hot_path(self) -> tuple[Callable[[str | None], Key | None], Callable[[], bool]]:
        """:meth:`lookup` and :meth:`is_stale` as the cache's own methods: what a verifier
        calls on every cached token, one Python frame shallower each."""
        return self._cache.lookup, self._cache.is_stale


class JWKSClient(_RemoteKeySet):
    """Keys from a remote JWKS for async verifiers (httpx.AsyncClient).

    Cached for the response's ``Cache-Control: max-age`` (``max_age`` when absent);
    refetched on an unknown ``kid`` at most ``refetch_per_minute`` times a minute, with one
    fetch in flight at a time; cached keys keep serving when the endpoint fails.
    """

    def __init__(
        self,
        url: str,
        *,
        http_client: httpx.AsyncClient | None = None,
        **options: Unpack[JWKSOptions],
    ) -> None:
        """See :class:`_RemoteKeySet` for ``options``; ``http_client`` is borrowed, not closed."""
        super().__init__(url, **options)
        self._http = http_client
        self._owns_http = http_client is None
        self._inflight: asyncio.Task[None] | None = None

    async def get_key(self, kid: str | None) -> Key | None:
        """The key for ``kid``, fetching when stale or unknown (within the rate limit)."""
        cache = self._cache
        fetched = cache.is_stale()
        if fetched:
            await self._fetch_once()
        key = cache.lookup(kid)
        if key is None and kid is not None and not fetched and cache.may_fetch():
            await self._fetch_once()
            key = cache.lookup(kid)
        return key

    async def refresh_if_stale(self) -> None:
        """Refetch when past max-age; errors leave stale keys in place."""
        if self._cache.is_stale():
            await self._fetch_once()

    async def _fetch_once(self) -> None:
        # Single flight: concurrent callers await the same fetch instead of starting more.
        task = self._inflight
        if task is None or task.done():
            if not self._cache.may_fetch():
                self._cache.rate_limited(self.url)
                return
            task = asyncio.ensure_future(self._fetch())
            self._inflight = task
        await asyncio.shield(task)

    async def _fetch(self) -> None:
        cache = self._cache
        cache.note_fetch()
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        try:
            # Streamed, so an endpoint sending a huge body costs us MAX_JWKS_BYTES at most.
            async with self._http.stream("GET", self.url, headers=_ACCEPT_JSON) as response:
                response.raise_for_status()
                body = _CappedBody()
                async for chunk in response.aiter_bytes():
                    body.add(chunk)
                cache.accept(body.value(), response.headers.get("cache-control"))
        except (httpx.HTTPError, InvalidKeySet) as exc:
            cache.failed(self.url, _describe(exc))

    async def aclose(self) -> None:
        """Close the HTTP client this object created."""
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None


class SyncJWKSClient(_RemoteKeySet):
    """:class:`JWKSClient` with blocking I/O, for WSGI apps and the CLI."""

    def __init__(
        self, url: str, *, http_client: httpx.Client | None = None, **options: Unpack[JWKSOptions]
    ) -> None:
        """See :class:`_RemoteKeySet` for ``options``."""
        super().__init__(url, **options)
        self._http = http_client or httpx.Client(timeout=self._timeout, follow_redirects=False)
        self._lock = threading.Lock()

    def refresh_if_stale(self) -> None:
        """Refetch when past max-age; errors leave stale keys in place."""
        if self._cache.is_stale():
            self._fetch_once(stale_only=True)

    def get_key(self, kid: str | None) -> Key | None:
        """The key for ``kid``, fetching when stale or unknown (within the rate limit)."""
        cache = self._cache
        fetched = cache.is_stale()
        if fetched:
            self._fetch_once(stale_only=True)
        key = cache.lookup(kid)
        if key is None and kid is not None and not fetched:
            self._fetch_once(stale_only=False, kid=kid)  # rate limit checked under the lock
            key = cache.lookup(kid)
        return key

    def _fetch_once(self, *, stale_only: bool, kid: str | None = None) -> None:
        with self._lock:  # one fetch at a time; re-check after waiting for another thread's
            cache = self._cache
            if stale_only and not cache.is_stale():
                return
            if kid is not None and cache.lookup(kid) is not None:
                return
            if not cache.may_fetch():
                cache.rate_limited(self.url)
                return
            cache.note_fetch()
            try:
                with self._http.stream("GET", self.url, headers=_ACCEPT_JSON) as response:
                    response.raise_for_status()
                    body = _CappedBody()
                    for chunk in response.iter_bytes():
                        body.add(chunk)
                    cache.accept(body.value(), response.headers.get("cache-control"))
            except (httpx.HTTPError, InvalidKeySet) as exc:
                cache.failed(self.url, _describe(exc))

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()
