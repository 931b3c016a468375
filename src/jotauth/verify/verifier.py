"""TokenVerifier: the policy a resource server applies to every access token.

One pipeline: a pure core over the keys in memory (``_start``: cache, parse, algorithm
allowlist, key lookup; ``_finish``: signature, ``typ``, claims, cache) that ``verify`` and
``averify`` both run; they differ only in how a remote key set is refreshed when stale and
refetched once for an unknown ``kid`` (blocking, or awaited).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from hashlib import sha256
from typing import Any, NamedTuple, TypedDict, Unpack

import httpx

from ..jose import (
    ALGORITHMS,
    Algorithm,
    Claims,
    Key,
    KeySet,
    MissingKeyId,
    UnknownKey,
    UnsupportedAlgorithm,
)
from ..jose.claims import (
    DEFAULT_ACCESS_TOKEN_TYPES,
    DEFAULT_REQUIRED_CLAIMS,
    ClaimPath,
    ClaimsPolicy,
    TokenTypes,
)
from ..jose.jws import (
    DEFAULT_MAX_TOKEN_BYTES,
    HeaderCache,
    ParsedToken,
    parse_compact,
    token_bytes,
    verify_signature,
)
from .cache import VerifiedTokenCache
from .discovery import discover
from .jwks_client import JWKSClient, JWKSOptions, SyncJWKSClient

KeySource = Mapping[str, Any] | KeySet | JWKSClient | SyncJWKSClient
# Busy tokens remembered by exact bytes for TokenVerifier.cached: about 1 MB for tokens of
# ~1 kB, max_token_bytes each at worst.
_DIGESTS_LIMIT = 1024
_new_tuple = tuple.__new__


class VerifierOptions(TypedDict, total=False):
    """The keyword options of :class:`TokenVerifier` besides issuer, audience and keys."""

    algorithms: Iterable[Algorithm]
    leeway: float
    typ: TokenTypes
    required_claims: Iterable[str]
    roles_claim: ClaimPath
    audience_claim: str
    authorized_parties: Iterable[str] | None
    expected_claims: Mapping[str, str] | None
    max_token_bytes: int
    cache_size: int
    clock: Callable[[], float]


class TokenVerifier:
    """Verify access tokens: structure, algorithm allowlist, signature with the key's own
    algorithm, ``typ``, then claims (``exp``/``nbf``/``iat`` with leeway, ``iss``, ``aud``).

    ``keys`` is a JWKS document, a :class:`KeySet`, a :class:`JWKSClient` (use
    :meth:`averify`) or a :class:`SyncJWKSClient`. Successful verifications are cached by
    exact token text; a hit still checks ``exp``/``nbf`` and that its key is still published.

    Other issuers' tokens (DESIGN §7): ``typ`` is a set (default ``at+jwt`` and ``JWT``;
    ``typ="at+jwt"`` is RFC 9068's strict mode; ``None`` in the set admits a token without
    ``typ``); scopes come from ``scope`` or ``scp``; roles from ``roles_claim`` (a dotted
    path such as ``realm_access.roles``); ``azp`` is checked against ``authorized_parties``
    when given; ``audience_claim`` and ``expected_claims`` fit issuers whose access tokens
    are told apart by other claims (see :class:`jotauth.jose.claims.ClaimsPolicy`).
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str | Iterable[str],
        keys: KeySource,
        algorithms: Iterable[Algorithm] = ("RS256",),
        leeway: float = 30,
        typ: TokenTypes = DEFAULT_ACCESS_TOKEN_TYPES,
        required_claims: Iterable[str] = DEFAULT_REQUIRED_CLAIMS,
        roles_claim: ClaimPath = "roles",
        audience_claim: str = "aud",
        authorized_parties: Iterable[str] | None = None,
        expected_claims: Mapping[str, str] | None = None,
        max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.algorithms = frozenset(algorithms)
        unknown = self.algorithms - set(ALGORITHMS)
        if unknown or not self.algorithms:
            raise ValueError(f"unsupported algorithms: {sorted(unknown) or 'none given'}")
        self.policy = ClaimsPolicy(
            issuer=issuer,
            audience=audience,
            leeway=leeway,
            required=required_claims,
            typ=typ,
            roles_claim=roles_claim,
            audience_claim=audience_claim,
            authorized_parties=authorized_parties,
            expected_claims=expected_claims,
        )
        if isinstance(keys, Mapping):
            keys = KeySet.from_jwks(keys, algorithms=self.algorithms)
        self._keys = keys
        self._async_client = keys if isinstance(keys, JWKSClient) else None
        self._sync_client = keys if isinstance(keys, SyncJWKSClient) else None
        self._remote_is_stale: Callable[[], bool] | None = None
        self._lookup: Callable[[str | None], Key | None]
        if isinstance(keys, KeySet):
            self._lookup = keys.get
        else:
            self._lookup, self._remote_is_stale = keys.hot_path()
        self._max_token_bytes = max_token_bytes
        self._leeway = leeway
        self._cache = VerifiedTokenCache(cache_size)
        self._caching = cache_size > 0
        self._header_cache: HeaderCache = {}
        # Exact token bytes -> their cache digest, for the tokens :meth:`cached` saw hit: a
        # dict lookup instead of a SHA-256 per request for an API's busy tokens. Bounded
        # (_DIGESTS_LIMIT entries), cleared when full; a hit still goes through _cached.
        self._digests: dict[bytes, bytes] = {}
        self._clock = clock

    @classmethod
    def from_issuer(
        cls,
        issuer: str,
        *,
        audience: str | Iterable[str],
        sync: bool = False,
        http_client: httpx.Client | None = None,
        discovery_timeout: float = 5.0,
        jwks: JWKSOptions | None = None,
        **options: Unpack[VerifierOptions],
    ) -> TokenVerifier:
        """A verifier for ``issuer``'s tokens, its keys found through the issuer's metadata.

        Reads ``{issuer}/.well-known/openid-configuration`` (else RFC 8414's
        ``oauth-authorization-server`` document) once, now, blocking; the metadata must name
        exactly ``issuer``, which every token must then carry in ``iss``. Its ``jwks_uri``
        feeds a :class:`JWKSClient` (``sync=True``: a :class:`SyncJWKSClient`, for WSGI apps
        and :meth:`verify`) with the usual cache, refetch limit and stale-if-error, built with
        ``jwks`` options and the verifier's algorithms. Plain http only on loopback.
        """
        metadata = discover(issuer, http_client=http_client, timeout=discovery_timeout)
        key_options: JWKSOptions = {**(jwks or {})}
        key_options.setdefault("algorithms", tuple(options.get("algorithms", ("RS256",))))
        keys: JWKSClient | SyncJWKSClient = (
            SyncJWKSClient(metadata.jwks_uri, **key_options)
            if sync
            else JWKSClient(metadata.jwks_uri, **key_options)
        )
        return cls(issuer=metadata.issuer, audience=audience, keys=keys, **options)

    @property
    def leeway(self) -> float:
        """Seconds of clock skew tolerated on every time claim (and by step-up checks)."""
        return self._leeway

    def now(self) -> float:
        """The verifier's clock: what time claims (and step-up's ``auth_time``) meet."""
        return self._clock()

    @property
    def cache(self) -> VerifiedTokenCache:
        """The verified-token cache (exposed for metrics and tests)."""
        return self._cache

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

    def cached(self, token: bytes) -> Claims | None:
        """The claims of ``token`` if this verifier accepted it before and it still holds now,
        without I/O or a coroutine; None means "take :meth:`verify`/:meth:`averify`".

        A hit is checked as in the full path: its key still published, ``exp``/``nbf`` at
        the verifier's clock. Keys past their max-age answer None, so the full path refreshes
        them first (the hot path of the guard's middleware).
        """
        is_stale = self._remote_is_stale
        if (is_stale is not None and is_stale()) or len(token) > self._max_token_bytes:
            return None
        digests = self._digests
        digest = digests.get(token)
        if digest is not None:
            claims = self._cached(digest, self._clock())
            if claims is None:
                digests.pop(token, None)  # expired, evicted or its key gone: full path
            return claims
        digest = sha256(token).digest()
        claims = self._cached(digest, self._clock())
        if claims is not None:
            if len(digests) >= _DIGESTS_LIMIT:
                digests.clear()
            digests[token] = digest
        return claims

    # --- the pure core: no I/O, keys in memory only --------------------------------------------

    def _start(self, token: str | bytes, now: float) -> Claims | _Unverified:
        """A cache hit's claims, or the parsed token and the key in memory for its ``kid``."""
        data = token_bytes(token, max_bytes=self._max_token_bytes)
        if self._caching:
            # Keyed by the SHA-256 of the token, so cached entries do not keep whole tokens
            # alive (forging a hit would take a second preimage).
            cache_key = sha256(data).digest()
            hit = self._cached(cache_key, now)
            if hit is not None:
                return hit
        else:
            cache_key = b""  # no cache (cache_size=0): no digest to compute
        parsed = parse_compact(
            data, max_bytes=self._max_token_bytes, header_cache=self._header_cache
        )
        if parsed.alg not in self.algorithms:
            raise UnsupportedAlgorithm(f"{parsed.alg} is not among the allowed algorithms")
        # tuple.__new__ directly: the NamedTuple without its generated __new__'s frame.
        return _new_tuple(_Unverified, (cache_key, parsed, self._lookup(parsed.kid)))

    def _finish(self, unverified: _Unverified, key: Key | None, now: float) -> Claims:
        """Signature with ``key``'s own algorithm, ``typ``, claims; then cache the success."""
        parsed = unverified.parsed
        if key is None:
            raise MissingKeyId() if parsed.kid is None else UnknownKey()
        verify_signature(parsed, key)
        policy = self.policy
        policy.check_type(parsed.header)
        claims = policy.check(parsed.payload(), now)
        if self._caching:
            self._cache.put(unverified.cache_key, claims, key)
        return claims

    # --- the entry points: the core plus the remote key set's I/O ------------------------------

    def verify(self, token: str | bytes) -> Claims:
        """Verify ``token`` and return its claims, or raise an :class:`InvalidToken`.

        Blocking: with a :class:`SyncJWKSClient` it may fetch keys. With an async
        :class:`JWKSClient` use :meth:`averify`.
        """
        if self._async_client is not None:
            raise TypeError("use averify() with an async JWKSClient")
        client = self._sync_client
        refreshed = client is not None and client.is_stale()
        if refreshed:
            client.refresh_if_stale()  # type: ignore[union-attr]
        now = self._clock()
        step = self._start(token, now)
        if not isinstance(step, _Unverified):
            return step  # a cache hit
        key = step.key
        if key is None and client is not None and not refreshed:
            # One fetch per miss at most: a refresh just above already saw the newest keys.
            key = client.get_key(step.parsed.kid)
        return self._finish(step, key, now)

    async def averify(self, token: str | bytes) -> Claims:
        """:meth:`verify`, fetching keys through an async :class:`JWKSClient` as needed."""
        client = self._async_client
        if client is None:
            return self.verify(token)  # nothing to await: the same blocking path
        refreshed = client.is_stale()
        if refreshed:
            await client.refresh_if_stale()
        now = self._clock()
        step = self._start(token, now)
        if not isinstance(step, _Unverified):
            return step  # a cache hit
        key = step.key
        if key is None and not refreshed:
            # One fetch per miss at most, as in verify().
            key = await client.get_key(step.parsed.kid)
        return self._finish(step, key, now)


class _Unverified(NamedTuple):
    """A token past the cache and the parser, waiting for its signature check."""

    cache_key: bytes
    parsed: ParsedToken
    key: Key | None  # the key in memory for its kid, if any
