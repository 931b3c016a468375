"""The async JWKSClient against a real HTTP endpoint on loopback: caching, Cache-Control,
unknown-kid refetch, the refetch rate limit, stale-if-error, garbage responses, revocation.

Time for the key cache is an injected clock; the tokens' own exp/iat use the wall clock.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import tracemalloc
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from jotauth.jose import Key, KeySetUnavailable, UnknownKey
from jotauth.verify import JWKSClient, TokenVerifier

ISSUER = "https://auth.example.test"
AUDIENCE = "lessons-api"
ALGORITHMS = ("ES256", "EdDSA", "RS256")

ClientFactory = Callable[..., JWKSClient]


@pytest.fixture
async def make_client(jwks_server: Any, clock: Any) -> AsyncIterator[ClientFactory]:
    """Build JWKSClients on the loopback endpoint with the test clock; closed afterwards."""
    clients: list[JWKSClient] = []

    def make(**options: Any) -> JWKSClient:
        options.setdefault("clock", clock)
        options.setdefault("timeout", 2.0)
        client = JWKSClient(jwks_server.url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def _verifier(client: JWKSClient) -> TokenVerifier:
    return TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=client, algorithms=ALGORITHMS)


# --- caching ----------------------------------------------------------------------------------


async def test_many_verifications_need_one_fetch(
    jwks_server: Any, make_client: ClientFactory, remote_keys: dict[str, Key], token_for: Any
) -> None:
    jwks_server.serve_keys([remote_keys["a"], remote_keys["c"]])
    verifier = _verifier(make_client())
    tokens = [token_for(remote_keys["a" if i % 2 else "c"], sub=f"user-{i}") for i in range(50)]

    for token in tokens:
        await verifier.averify(token)
    await asyncio.gather(*(verifier.averify(token) for token in tokens))

    assert jwks_server.requests == 1


async def test_cold_start_under_concurrency_is_a_single_fetch(
    jwks_server: Any, make_client: ClientFactory, remote_keys: dict[str, Key], token_for: Any
) -> None:
    jwks_server.serve_keys([remote_keys["a"]])
    jwks_server.delay = 0.2  # every caller arrives while the first fetch is in flight
    verifier = _verifier(make_client())
    token = token_for(remote_keys["a"])

    results = await asyncio.gather(*(verifier.averify(token) for _ in range(100)))

    assert {claims.sub for claims in results} == {"user-42"}
    assert jwks_server.requests == 1


async def test_cache_control_max_age_is_honoured(
    jwks_server: Any,
    make_client: ClientFactory,
    clock: Any,
    remote_keys: dict[str, Key],
    token_for: Any,
) -> None:
    jwks_server.serve_keys([remote_keys["a"]], cache_control="public, max-age=120")
    verifier = _verifier(make_client())
    token = token_for(remote_keys["a"])

    await verifier.averify(token)
    clock.advance(119)
    await verifier.averify(token)
    assert jwks_server.requests == 1
    clock.advance(1)
    await verifier.averify(token)
    assert jwks_server.requests == 2


async def test_without_cache_control_keys_live_for_the_default_max_age(
    jwks_server: Any,
    make_client: ClientFactory,
    clock: Any,
    remote_keys: dict[str, Key],
    token_for: Any,
) -> None:
    jwks_server.serve_keys([remote_keys["a"]])
    verifier = _verifier(make_client())  # default max_age: 600 s (DESIGN §7)
    token = token_for(remote_keys["a"])

    await verifier.averify(token)
    clock.advance(599)
    await verifier.averify(token)
    assert jwks_server.requests == 1
    clock.advance(1)
    await verifier.averify(token)
    assert jwks_server.requests == 2


async def test_no_store_cannot_force_a_fetch_per_request(
    jwks_server: Any,
    make_client: ClientFactory,
    clock: Any,
    remote_keys: dict[str, Key],
    token_for: Any,
) -> None:
    jwks_server.serve_keys([remote_keys["a"]], cache_control="no-store")
    verifier = _verifier(make_client(min_max_age=5))
    token = token_for(remote_keys["a"])

    for _ in range(20):
        await verifier.averify(token)
    assert jwks_server.requests == 1
    clock.advance(5)
    await verifier.averify(token)
    assert jwks_server.requests == 2


# --- unknown kid ------------------------------------------------------------------------------


async def test_unknown_kid_refetch_picks_up_a_newly_published_key(
    jwks_server: Any, make_client: ClientFactory, remote_keys: dict[str, Key], token_for: Any
) -> None:
    jwks_server.serve_keys([remote_keys["a"]], cache_control="max-age=600")
    verifier = _verifier(make_client())
    await verifier.averify(token_for(remote_keys["a"]))
    assert jwks_server.requests == 1

    jwks_server.serve_keys([remote_keys["a"], remote_keys["b"]], cache_control="max-age=600")
    claims = await verifier.averify(token_for(remote_keys["b"]))

    assert claims.sub == "user-42"
    assert jwks_server.requests == 2  # well before max-age: fetched for the unknown kid


async def test_a_thousand_random_kids_cause_at_most_ten_fetches(
    jwks_server: Any,
    make_client: ClientFactory,
    clock: Any,
    remote_keys: dict[str, Key],
    token_for: Any,
) -> None:
    jwks_server.serve_keys([remote_keys["a"]])
    jwks_server.delay = 0.005
    client = make_client()
    verifier = _verifier(client)
    genuine = token_for(remote_keys["a"])
    await verifier.averify(genuine)
    hostile = [token_for(remote_keys["a"], kid=secrets.token_urlsafe(8)) for _ in range(1000)]

    outcomes = await asyncio.gather(
        *(verifier.averify(token) for token in hostile), return_exceptions=True
    )

    assert all(isinstance(outcome, UnknownKey) for outcome in outcomes)
    assert jwks_server.requests <= 10
    assert client.fetch_count == jwks_server.requests
    assert (await verifier.averify(genuine)).sub == "user-42"  # still serving
    # The window slides: a minute later, an unknown kid may trigger a fetch again.
    before = jwks_server.requests
    clock.advance(60)
    with pytest.raises(UnknownKey):
        await verifier.averify(hostile[0])
    assert jwks_server.requests > before


async def test_sequential_random_kids_reach_the_limit_but_never_pass_it(
    jwks_server: Any, make_client: ClientFactory, remote_keys: dict[str, Key], token_for: Any
) -> None:
    # One after another, each unknown kid may fetch: exactly refetch_per_minute of them do.
    jwks_server.serve_keys([remote_keys["a"]])
    verifier = _verifier(make_client())
    for _ in range(300):
        with pytest.raises(UnknownKey):
            await verifier.averify(token_for(remote_keys["a"], kid=secrets.token_urlsafe(8)))
    assert jwks_server.requests == 10


async def test_rate_limit_is_configurable(
    jwks_server: Any, make_client: ClientFactory, remote_keys: dict[str, Key], token_for: Any
) -> None:
    jwks_server.serve_keys([remote_keys["a"]])
    verifier = _verifier(make_client(refetch_per_minute=3))
    for _ in range(50):
        with pytest.raises(UnknownKey):
            await verifier.averify(token_for(remote_keys["a"], kid=secrets.token_urlsafe(8)))
    assert jwks_server.requests == 3


# --- the endpoint fails -----------------------------------------------------------------------


async def test_cached_keys_keep_working_when_the_endpoint_goes_down(
    jwks_server: Any,
    make_client: ClientFactory,
    clock: Any,
    remote_keys: dict[str, Key],
    token_for: Any,
) -> None:
    jwks_server.serve_keys([remote_keys["a"]], cache_control="max-age=60")
    verifier = _verifier(make_client())
    await verifier.averify(token_for(remote_keys["a"]))

    jwks_server.stop()
    clock.advance(61)
    # Stale-if-error: a fresh token (not a cache hit) still verifies with the cached key.
    assert (await verifier.averify(token_for(remote_keys["a"], sub="user-7"))).sub == "user-7"
    clock.advance(3600)
    assert (await verifier.averify(token_for(remote_keys["a"], sub="user-8"))).sub == "user-8"


@pytest.mark.parametrize("status", [500, 502, 503, 404, 401])
async def test_cached_keys_keep_working_when_the_endpoint_errors(
    status: int,
    jwks_server: Any,
    make_client: ClientFactory,
    clock: Any,
    remote_keys: dict[str, Key],
    token_for: Any,
) -> None:
    jwks_server.serve_keys([remote_keys["a"]], cache_control="max-age=60")
    verifier = _verifier(make_client())
    await verifier.averify(token_for(remote_keys["a"]))

    jwks_server.serve(status, b'{"error": "down"}')
    clock.advance(61)
    assert (await verifier.averify(token_for(remote_keys["a"], sub="user-7"))).sub == "user-7"
    assert jwks_server.requests == 2
    # After a failure the client waits a little before trying again, not on every request.
    await verifier.averify(token_for(remote_keys["a"], sub="user-8"))
    assert jwks_server.requests == 2


async def test_endpoint_down_with_nothing_cached_is_keys_unavailable(
    jwks_server: Any, make_client: ClientFactory, remote_keys: dict[str, Key], token_for: Any
) -> None:
    jwks_server.stop()
    verifier = _verifier(make_client())
    with pytest.raises(KeySetUnavailable) as raised:
        await verifier.averify(token_for(remote_keys["a"]))
    assert raised.value.code == "keys_unavailable"


async def test_slow_endpoint_times_out_as_keys_unavailable(
    jwks_server: Any, make_client: ClientFactory, remote_keys: dict[str, Key], token_for: Any
) -> None:
    jwks_server.serve_keys([remote_keys["a"]])
    jwks_server.delay = 1.0
    verifier = _verifier(make_client(timeout=0.2))
    with pytest.raises(KeySetUnavailable):
        await verifier.averify(token_for(remote_keys["a"]))


GARBAGE = {
    "html": (b"<!doctype html><title>502 Bad Gateway</title>", "text/html"),
    "json-array": (b'[{"kty": "EC"}]', "application/json"),
    "keys-not-a-list": (b'{"keys": 5}', "application/json"),
    "keys-an-object": (b'{"keys": {"kty": "EC"}}', "application/json"),
    "not-json": (b'{"keys": [', "application/json"),
    "empty": (b"", "application/json"),
    "json-string": (b'"keys"', "application/json"),
    "10-mb": (b'{"keys": [], "padding": "' + b"x" * (10 * 1024 * 1024) + b'"}', "application/json"),
}


@pytest.mark.parametrize("garbage", GARBAGE, ids=list(GARBAGE))
async def test_garbage_response_is_a_clear_error_and_nothing_is_cached(
    garbage: str,
    jwks_server: Any,
    make_client: ClientFactory,
    remote_keys: dict[str, Key],
    token_for: Any,
) -> None:
    body, content_type = GARBAGE[garbage]
    jwks_server.serve(200, body, content_type=content_type)
    client = make_client()
    verifier = _verifier(client)

    with pytest.raises(KeySetUnavailable) as raised:
        await verifier.averify(token_for(remote_keys["a"]))

    assert raised.value.code == "keys_unavailable"
    assert client.is_stale() and client.lookup(remote_keys["a"].kid) is None
    # Once the endpoint is repaired, the next request fetches and succeeds.
    jwks_server.serve_keys([remote_keys["a"]])
    assert (await verifier.averify(token_for(remote_keys["a"]))).sub == "user-42"


@pytest.mark.parametrize("garbage", ["html", "json-array", "keys-not-a-list", "10-mb"])
async def test_garbage_response_never_replaces_good_cached_keys(
    garbage: str,
    jwks_server: Any,
    make_client: ClientFactory,
    clock: Any,
    remote_keys: dict[str, Key],
    token_for: Any,
) -> None:
    jwks_server.serve_keys([remote_keys["a"]], cache_control="max-age=60")
    verifier = _verifier(make_client())
    await verifier.averify(token_for(remote_keys["a"]))

    body, content_type = GARBAGE[garbage]
    jwks_server.serve(200, body, content_type=content_type)
    clock.advance(61)
    assert (await verifier.averify(token_for(remote_keys["a"], sub="user-9"))).sub == "user-9"
    assert jwks_server.requests == 2


async def test_oversized_response_is_not_read_past_the_size_limit(
    jwks_server: Any, make_client: ClientFactory, remote_keys: dict[str, Key], token_for: Any
) -> None:
    # A misbehaving endpoint must not make every resource server buffer its whole body.
    jwks_server.serve(200, b'{"keys": [], "padding": "' + b"x" * (32 * 1024 * 1024) + b'"}')
    verifier = _verifier(make_client())
    token = token_for(remote_keys["a"])
    tracemalloc.start()
    try:
        with pytest.raises(KeySetUnavailable):
            await verifier.averify(token)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


async def test_redirects_are_not_followed(
    jwks_server: Any, make_client: ClientFactory, remote_keys: dict[str, Key], token_for: Any
) -> None:
    # A JWKS URL is configuration; a redirect elsewhere is not a key source we agreed to.
    jwks_server.serve(
        302, b"", extra_headers={"Location": "https://evil.example.test/.well-known/jwks.json"}
    )
    with pytest.raises(KeySetUnavailable):
        await _verifier(make_client()).averify(token_for(remote_keys["a"]))
    assert jwks_server.requests == 1


async def test_key_count_is_bounded(
    jwks_server: Any, make_client: ClientFactory, token_for: Any
) -> None:
    keys = [Key.generate("EdDSA", kid=f"flood-{i}") for i in range(60)]
    jwks_server.serve_keys(keys)
    client = make_client(max_keys=50)
    verifier = _verifier(client)

    assert (await verifier.averify(token_for(keys[49]))).sub == "user-42"
    with pytest.raises(UnknownKey):
        await verifier.averify(token_for(keys[50]))
    assert sum(client.lookup(key.kid) is not None for key in keys) == 50


# --- revocation -------------------------------------------------------------------------------


async def test_revoked_key_disappears_after_max_age(
    jwks_server: Any,
    make_client: ClientFactory,
    clock: Any,
    remote_keys: dict[str, Key],
    token_for: Any,
) -> None:
    jwks_server.serve_keys([remote_keys["a"], remote_keys["c"]], cache_control="max-age=300")
    verifier = _verifier(make_client())
    token = token_for(remote_keys["a"])
    await verifier.averify(token)
    assert len(verifier.cache) == 1

    jwks_server.serve_keys([remote_keys["c"]], cache_control="max-age=300")  # 'a' revoked
    clock.advance(299)
    assert (await verifier.averify(token)).sub == "user-42"  # the documented window
    clock.advance(1)
    with pytest.raises(UnknownKey):
        await verifier.averify(token)
    assert len(verifier.cache) == 0
    with pytest.raises(UnknownKey):
        await verifier.averify(token_for(remote_keys["a"], sub="user-2"))
    assert (await verifier.averify(token_for(remote_keys["c"]))).sub == "user-42"


async def test_failed_verification_is_not_cached_until_the_key_is_published(
    jwks_server: Any, make_client: ClientFactory, remote_keys: dict[str, Key], token_for: Any
) -> None:
    jwks_server.serve_keys([remote_keys["a"]])
    verifier = _verifier(make_client())
    token = token_for(remote_keys["b"])
    with pytest.raises(UnknownKey):
        await verifier.averify(token)
    assert len(verifier.cache) == 0

    jwks_server.serve_keys([remote_keys["a"], remote_keys["b"]])
    assert (await verifier.averify(token)).sub == "user-42"
    assert len(verifier.cache) == 1


async def test_jwks_served_like_our_auth_server_verifies_rsa_tokens(
    jwks_server: Any, make_client: ClientFactory, remote_keys: dict[str, Key], token_for: Any
) -> None:
    from jotauth.keys import with_x5c

    document = {"keys": [with_x5c(remote_keys["r"]).public_key().public_jwk()]}
    assert "x5c" in document["keys"][0]
    jwks_server.serve(200, json.dumps(document).encode(), cache_control="max-age=600")
    assert (await _verifier(make_client()).averify(token_for(remote_keys["r"]))).sub == "user-42"
