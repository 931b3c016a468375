"""TokenVerifier: the policy a resource server applies to every access token."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from hashlib import sha256
from typing import Any

from ..jose import (
    ALGORITHMS,
    Algorithm,
    Claims,
    ClaimsPolicy,
    Key,
    KeySet,
    MissingKeyId,
    UnknownKey,
    UnsupportedAlgorithm,
    parse_compact,
    verify_signature,
)
from ..jose.claims import DEFAULT_REQUIRED_CLAIMS
from ..jose.jws import DEFAULT_MAX_TOKEN_BYTES, HeaderCache, ParsedToken, token_bytes
from .cache import VerifiedTokenCache
from .jwks_client import JWKSClient, SyncJWKSClient

KeySource = Mapping[str, Any] | KeySet | JWKSClient | SyncJWKSClient


class TokenVerifier:
    """Verify access tokens: structure, algorithm allowlist, signature with the key's own
    algorithm, ``typ``, then claims (``exp``/``nbf``/``iat`` with leeway, ``iss``, ``aud``).

    ``keys`` is a JWKS document, a :class:`KeySet`, a :class:`JWKSClient` (use
    :meth:`averify`) or a :class:`SyncJWKSClient`. Successful verifications are cached by
    exact token text; a hit still checks ``exp``/``nbf`` and that its key is still published.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str | Iterable[str],
        keys: KeySource,
        algorithms: Iterable[Algorithm] = ("RS256",),
        leeway: float = 30,
        typ: str | None = "at+jwt",
        required_claims: Iterable[str] = DEFAULT_REQUIRED_CLAIMS,
        max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.algorithms = frozenset(algorithms)
        unknown = self.algorithms - set(ALGORITHMS)
        if unknown or not self.algorithms:
            raise ValueError(f"unsupported algorithms: {sorted(unknown) or 'none given'}")
        self.policy = ClaimsPolicy(
            issuer=issuer, audience=audience, leeway=leeway, required=required_claims, typ=typ
        )
        if isinstance(keys, Mapping):
            keys = KeySet.from_jwks(keys, algorithms=self.algorithms)
        self._keys = keys
        self._async_client = keys if isinstance(keys, JWKSClient) else None
        self._sync_client = keys if isinstance(keys, SyncJWKSClient) else None
        self._lookup = keys.lookup if not isinstance(keys, KeySet) else keys.get
        self._max_token_bytes = max_token_bytes
        self._leeway = leeway
        self._cache = VerifiedTokenCache(cache_size)
        self._header_cache: HeaderCache = {}
        self._clock = clock

    @property
    def cache(self) -> VerifiedTokenCache:
        """The verified-token cache (exposed for metrics and tests)."""
        return self._cache

    def _digest(self, token: str | bytes) -> tuple[bytes, bytes]:
        """The token as bytes and its cache key: its SHA-256 digest, so cached entries
        do not keep whole tokens alive (forging a hit would take a second preimage)."""
        data = token_bytes(token, max_bytes=self._max_token_bytes)
        return data, sha256(data).digest()

    def _cached(self, cache_key: bytes, now: float) -> Claims | None:
        entry = self._cache.get(cache_key)
        if entry is None:
            return None
        claims, key = entry
        if self._lookup(key.kid) is not key:  # the key was revoked or replaced
            self._cache.discard(cache_key)
            return None
        if now >= claims.exp + self._leeway:  # RFC 7519 §4.1.4: expired at exp itself
            self._cache.discard(cache_key)
            return None  # the full path raises the precise error
        if claims.nbf is not None and claims.nbf > now + self._leeway:
            return None
        return claims

    def _check(self, cache_key: bytes, key: Key | None, parsed: ParsedToken, now: float) -> Claims:
        if key is None:
            raise MissingKeyId() if parsed.kid is None else UnknownKey()
        verify_signature(parsed, key)
        self.policy.check_type(parsed.header)
        claims = self.policy.check(parsed.payload(), now)
        self._cache.put(cache_key, claims, key)
        return claims

    def _parse(self, token: bytes) -> ParsedToken:
        parsed = parse_compact(
            token, max_bytes=self._max_token_bytes, header_cache=self._header_cache
        )
        if parsed.alg not in self.algorithms:
            raise UnsupportedAlgorithm(f"{parsed.alg} is not among the allowed algorithms")
        return parsed

    def verify(self, token: str | bytes) -> Claims:
        """Verify ``token`` and return its claims, or raise an :class:`InvalidToken`.

        Blocking: with a :class:`SyncJWKSClient` it may fetch keys. With an async
        :class:`JWKSClient` use :meth:`averify`.
        """
        if self._async_client is not None:
            raise TypeError("use averify() with an async JWKSClient")
        now = self._clock()
        client = self._sync_client
        refreshed = client is not None and client.is_stale()
        if refreshed:
            client.refresh_if_stale()  # type: ignore[union-attr]
        data, cache_key = self._digest(token)
        hit = self._cached(cache_key, now)
        if hit is not None:
            return hit
        parsed = self._parse(data)
        key = self._lookup(parsed.kid)
        if key is None and client is not None and not refreshed:
            key = client.get_key(parsed.kid)
        return self._check(cache_key, key, parsed, now)

    async def averify(self, token: str | bytes) -> Claims:
        """Verify ``token``, fetching keys through an async :class:`JWKSClient` as needed."""
        client = self._async_client
        refreshed = client is not None and client.is_stale()
        if refreshed:
            await client.refresh_if_stale()  # type: ignore[union-attr]
        now = self._clock()
        data, cache_key = self._digest(token)
        hit = self._cached(cache_key, now)
        if hit is not None:
            return hit
        parsed = self._parse(data)
        key = self._lookup(parsed.kid)
        if key is None and not refreshed:
            # One fetch per miss at most: a refresh just above already saw the newest keys.
            if client is not None:
                key = await client.get_key(parsed.kid)
            elif self._sync_client is not None:
                key = self._sync_client.get_key(parsed.kid)
        return self._check(cache_key, key, parsed, now)
