"""The verified-token cache: hits skip the signature but never the clock or the key's
revocation; failures are never cached; the cache is bounded in entries and in memory.

Remote keys are served here by an in-process ``httpx.MockTransport`` (a fake, as befits a
unit test of one layer); tests/integration/verify repeats the key scenarios over real HTTP.
"""

from __future__ import annotations

import gc
import json
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from jotauth.jose import (
    BadAudience,
    BadSignature,
    Claims,
    InvalidToken,
    Key,
    KeySet,
    TokenExpired,
    TokenNotYetValid,
    UnknownKey,
    encode,
)
from jotauth.verify import SyncJWKSClient, TokenVerifier, VerifiedTokenCache
from tests.support.clock import SettableClock
from tests.support.tokens import access_claims

ISSUER = "https://auth.example.test"
AUDIENCE = "lessons-api"
NOW = 1_800_000_000
LEEWAY = 30


def _claims(serial: int = 0, **overrides: Any) -> dict[str, Any]:
    profile = {
        "sub": f"user-{serial}",
        "jti": f"{serial:032x}",
        "sid": "0f6c2b8e4d1a4f7e9c3b5a2d8e1f4c7b",
        "scope": "lessons:read lessons:write",
        "roles": ["student"],
    }
    return access_claims(issuer=ISSUER, audience=AUDIENCE, now=NOW, **profile | overrides)


def _verifier(keys: Any, clock: Callable[[], float], **options: Any) -> TokenVerifier:
    algorithms = options.pop("algorithms", ("RS256", "ES256", "EdDSA", "HS256"))
    return TokenVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        keys=keys,
        algorithms=algorithms,
        leeway=LEEWAY,
        clock=clock,
        **options,
    )


def _tampered(token: str) -> str:
    head, _, signature = token.split(".")
    forged = encode(_claims(sub="admin"), Key.generate("HS256")).split(".")[1]
    return f"{head}.{forged}.{signature}"


# --- hits -------------------------------------------------------------------------------------


def test_hit_returns_the_same_claims_without_verifying_again(
    signing_keys: dict[str, Key],
) -> None:
    key = signing_keys["ES256"]
    verifier = _verifier(KeySet([key.public_key()]), SettableClock(NOW))
    token = encode(_claims(), key)

    first = verifier.verify(token)
    second = verifier.verify(token)

    assert isinstance(first, Claims)
    assert second is first  # the cached object: no parse, no signature check
    assert len(verifier.cache) == 1


def test_hit_still_rejects_once_expired(signing_keys: dict[str, Key]) -> None:
    key, clock = signing_keys["EdDSA"], SettableClock(NOW)
    verifier = _verifier(KeySet([key.public_key()]), clock)
    token = encode(_claims(exp=NOW + 60), key)
    assert verifier.verify(token).sub == "user-0"

    clock.now = NOW + 60 + LEEWAY - 1
    assert verifier.verify(token).sub == "user-0"  # within leeway: still a hit
    clock.now = NOW + 60 + LEEWAY
    with pytest.raises(TokenExpired) as raised:
        verifier.verify(token)
    assert raised.value.code == "expired"
    assert len(verifier.cache) == 0  # the stale entry is gone
    with pytest.raises(TokenExpired):
        verifier.verify(token)


def test_hit_rechecks_nbf_when_the_clock_goes_back(signing_keys: dict[str, Key]) -> None:
    key, clock = signing_keys["EdDSA"], SettableClock(NOW)
    verifier = _verifier(KeySet([key.public_key()]), clock)
    token = encode(_claims(nbf=NOW), key)
    verifier.verify(token)

    clock.now = NOW - LEEWAY - 1  # e.g. an NTP step backwards
    with pytest.raises(TokenNotYetValid):
        verifier.verify(token)


def test_caches_are_per_verifier_so_policies_never_mix(signing_keys: dict[str, Key]) -> None:
    key = signing_keys["ES256"]
    token = encode(_claims(), key)
    lessons = _verifier(KeySet([key.public_key()]), SettableClock(NOW))
    billing = TokenVerifier(
        issuer=ISSUER,
        audience="billing-api",
        keys=KeySet([key.public_key()]),
        algorithms=("ES256",),
        clock=SettableClock(NOW),
    )
    lessons.verify(token)
    with pytest.raises(BadAudience):
        billing.verify(token)


# --- failures are never cached ----------------------------------------------------------------


def test_tampered_token_fails_every_time(signing_keys: dict[str, Key]) -> None:
    key = signing_keys["RS256"]
    verifier = _verifier(KeySet([key.public_key()]), SettableClock(NOW))
    genuine = encode(_claims(), key)
    verifier.verify(genuine)
    tampered = _tampered(genuine)

    for _ in range(2):
        with pytest.raises(BadSignature):
            verifier.verify(tampered)
    assert len(verifier.cache) == 1


@pytest.mark.parametrize(
    "overrides",
    [{"exp": NOW - LEEWAY}, {"aud": "billing-api"}, {"iss": "https://evil.example.test"}],
    ids=["expired", "audience", "issuer"],
)
def test_claims_failures_are_not_cached(
    overrides: dict[str, Any], signing_keys: dict[str, Key]
) -> None:
    key = signing_keys["HS256"]
    verifier = _verifier(KeySet([key]), SettableClock(NOW))
    token = encode(_claims(**overrides), key)
    for _ in range(2):
        with pytest.raises(InvalidToken):
            verifier.verify(token)
    assert len(verifier.cache) == 0


def test_bytes_and_text_of_one_token_share_one_cache_entry(signing_keys: dict[str, Key]) -> None:
    key = signing_keys["HS256"]
    verifier = _verifier(KeySet([key]), SettableClock(NOW))
    text = encode(_claims(), key)
    first = verifier.verify(text.encode())
    assert verifier.verify(text) is first
    assert len(verifier.cache) == 1


# --- keys that come and go (remote JWKS through a fake transport) -----------------------------


class FakeJwksEndpoint:
    """Serves whatever JWKS the test sets, counting requests."""

    def __init__(self, keys: list[Key], max_age: int = 60) -> None:
        self.keys = keys
        self.max_age = max_age
        self.requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        body = json.dumps({"keys": [key.public_key().public_jwk() for key in self.keys]})
        return httpx.Response(
            200,
            content=body.encode(),
            headers={
                "Content-Type": "application/json",
                "Cache-Control": f"max-age={self.max_age}",
            },
        )


def _remote(endpoint: FakeJwksEndpoint, clock: SettableClock) -> SyncJWKSClient:
    return SyncJWKSClient(
        "https://auth.example.test/.well-known/jwks.json",
        http_client=httpx.Client(transport=httpx.MockTransport(endpoint)),
        clock=clock,
    )


def test_entry_drops_when_its_key_is_revoked_at_the_next_refetch(
    signing_keys: dict[str, Key],
) -> None:
    old, new = signing_keys["ES256"], signing_keys["EdDSA"]
    clock = SettableClock(NOW)
    endpoint = FakeJwksEndpoint([old, new], max_age=60)
    verifier = _verifier(_remote(endpoint, clock), clock)
    token = encode(_claims(), old)
    assert verifier.verify(token).sub == "user-0"
    assert verifier.verify(token).sub == "user-0"
    assert endpoint.requests == 1

    endpoint.keys = [new]  # the auth server revoked the old key
    clock.now = NOW + 59
    assert verifier.verify(token).sub == "user-0"  # keys still fresh: cached as allowed
    assert verifier.cached(token.encode()) is not None  # the hot path agrees
    clock.now = NOW + 60
    # Stale keys: the hot path has no answer; the full path refetches and refuses.
    assert verifier.cached(token.encode()) is None
    with pytest.raises(UnknownKey) as raised:
        verifier.verify(token)
    assert raised.value.code == "unknown_kid"
    assert len(verifier.cache) == 0
    assert verifier.cached(token.encode()) is None
    assert verifier.verify(encode(_claims(), new)).sub == "user-0"


def test_token_of_an_unknown_key_verifies_once_the_key_is_published(
    signing_keys: dict[str, Key],
) -> None:
    published, upcoming = signing_keys["ES256"], signing_keys["EdDSA"]
    clock = SettableClock(NOW)
    endpoint = FakeJwksEndpoint([published])
    verifier = _verifier(_remote(endpoint, clock), clock)
    token = encode(_claims(), upcoming)

    with pytest.raises(UnknownKey):
        verifier.verify(token)
    assert len(verifier.cache) == 0
    endpoint.keys = [published, upcoming]
    clock.now = NOW + 1
    requests_before = endpoint.requests
    assert verifier.verify(token).sub == "user-0"  # an unknown kid triggers one refetch
    assert endpoint.requests == requests_before + 1


def test_replaced_key_with_the_same_kid_invalidates_cached_tokens(
    signing_keys: dict[str, Key],
) -> None:
    genuine = signing_keys["ES256"]
    impostor = Key.generate("ES256", kid=genuine.kid)
    clock = SettableClock(NOW)
    endpoint = FakeJwksEndpoint([genuine], max_age=60)
    verifier = _verifier(_remote(endpoint, clock), clock)
    token = encode(_claims(), genuine)
    verifier.verify(token)

    endpoint.keys = [impostor]
    clock.now = NOW + 60
    with pytest.raises(BadSignature):
        verifier.verify(token)


# --- bounds -----------------------------------------------------------------------------------


def test_cache_is_bounded_and_evicts_the_oldest_entry(signing_keys: dict[str, Key]) -> None:
    key = signing_keys["HS256"]
    verifier = _verifier(KeySet([key]), SettableClock(NOW), cache_size=3)
    tokens = [encode(_claims(serial), key) for serial in range(5)]
    first_claims = [verifier.verify(token) for token in tokens]

    assert len(verifier.cache) == 3
    assert verifier.verify(tokens[4]) is first_claims[4]  # newest: still a hit
    assert verifier.verify(tokens[0]) is not first_claims[0]  # evicted: verified again
    assert len(verifier.cache) == 3


def test_cache_size_zero_caches_nothing(signing_keys: dict[str, Key]) -> None:
    key = signing_keys["HS256"]
    verifier = _verifier(KeySet([key]), SettableClock(NOW), cache_size=0)
    token = encode(_claims(), key)
    assert verifier.verify(token) is not verifier.verify(token)
    assert len(verifier.cache) == 0


def test_cache_object_on_its_own(signing_keys: dict[str, Key]) -> None:
    key = signing_keys["HS256"]
    claims = _verifier(KeySet([key]), SettableClock(NOW)).verify(encode(_claims(), key))
    cache = VerifiedTokenCache(max_entries=2)
    for name in ("a", "b", "c"):
        cache.put(name, claims, key)
    assert cache.get("a") is None and cache.get("c") == (claims, key)
    cache.discard("c")
    cache.discard("never-there")
    assert len(cache) == 1
    cache.clear()
    assert len(cache) == 0
    with pytest.raises(ValueError):
        VerifiedTokenCache(max_entries=-1)


# --- memory -----------------------------------------------------------------------------------

CACHED_TOKENS = 10_000
MEMORY_BUDGET = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def cache_memory() -> int:
    """Bytes retained by 10,000 cached RS256 verifications, token texts included.

    The tokens are copied inside the traced window, so each text is held by the cache alone,
    as a request's token is in a server. Signing runs on two threads (OpenSSL releases the
    GIL): 10,000 RSA-2048 signatures are the slow part of this suite.
    """
    key = Key.generate("RS256", kid="rs256-memory")
    with ThreadPoolExecutor(max_workers=2) as pool:
        tokens = list(pool.map(lambda serial: encode(_claims(serial), key), range(CACHED_TOKENS)))
    verifier = _verifier(
        KeySet([key.public_key()]),
        SettableClock(NOW),
        algorithms=("RS256",),
        cache_size=CACHED_TOKENS,
    )
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for token in tokens:
            verifier.verify(token.encode("ascii").decode("ascii"))
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(verifier.cache) == CACHED_TOKENS
    return retained


def test_ten_thousand_cached_rs256_tokens_including_their_text_stay_under_20_mb(
    cache_memory: int,
) -> None:
    assert cache_memory < MEMORY_BUDGET


# --- cached(): the guard's hot path -------------------------------------------------------------


def test_cached_answers_only_what_verify_accepted_and_still_holds(
    signing_keys: dict[str, Key],
) -> None:
    key = signing_keys["ES256"]
    clock = SettableClock(NOW)
    verifier = _verifier(KeySet([key]), clock)
    token = encode(_claims(), key).encode()
    assert verifier.cached(token) is None  # never verified: the full path decides
    claims = verifier.verify(token)
    assert verifier.cached(token) is claims
    assert verifier.cached(token) is claims  # again, through the remembered digest
    assert verifier.cached(_tampered(token.decode()).encode()) is None
    clock.now = NOW + 900 + LEEWAY  # expired (exp is NOW + 900)
    assert verifier.cached(token) is None
    with pytest.raises(TokenExpired):
        verifier.verify(token)


def test_cached_with_no_cache_and_for_oversized_input_is_always_none(
    signing_keys: dict[str, Key],
) -> None:
    key = signing_keys["HS256"]
    uncached = _verifier(KeySet([key]), SettableClock(NOW), cache_size=0)
    token = encode(_claims(), key).encode()
    uncached.verify(token)
    assert uncached.cached(token) is None
    small = _verifier(KeySet([key]), SettableClock(NOW), max_token_bytes=len(token))
    small.verify(token)
    assert small.cached(token) is not None
    assert small.cached(token + b"A") is None
