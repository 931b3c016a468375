"""SyncJWKSClient (the WSGI entry point) against a real HTTP endpoint on loopback: the same
policy as the async client, with blocking I/O and threads instead of tasks."""

from __future__ import annotations

import secrets
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from jotauth.jose import InvalidToken, Key, KeySetUnavailable, UnknownKey
from jotauth.verify import SyncJWKSClient, TokenVerifier

ISSUER = "https://auth.example.test"
AUDIENCE = "lessons-api"
ALGORITHMS = ("ES256", "EdDSA", "RS256")

ClientFactory = Callable[..., SyncJWKSClient]


@pytest.fixture
def make_client(jwks_server: Any, clock: Any) -> Iterator[ClientFactory]:
    """Build SyncJWKSClients on the loopback endpoint with the test clock; closed afterwards."""
    clients: list[SyncJWKSClient] = []

    def make(**options: Any) -> SyncJWKSClient:
        options.setdefault("clock", clock)
        options.setdefault("timeout", 2.0)
        client = SyncJWKSClient(jwks_server.url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def _verifier(client: SyncJWKSClient) -> TokenVerifier:
    return TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=client, algorithms=ALGORITHMS)


def test_many_verifications_from_many_threads_need_one_fetch(
    jwks_server: Any, make_client: ClientFactory, remote_keys: dict[str, Key], token_for: Any
) -> None:
    jwks_server.serve_keys([remote_keys["a"], remote_keys["c"]])
    jwks_server.delay = 0.1  # threads pile up behind the first fetch
    verifier = _verifier(make_client())
    tokens = [token_for(remote_keys["a" if i % 2 else "c"], sub=f"user-{i}") for i in range(64)]

    with ThreadPoolExecutor(max_workers=16) as pool:
        subjects = set(pool.map(lambda token: verifier.verify(token).sub, tokens))

    assert subjects == {f"user-{i}" for i in range(64)}
    assert jwks_server.requests == 1


def test_cache_control_max_age_is_honoured(
    jwks_server: Any,
    make_client: ClientFactory,
    clock: Any,
    remote_keys: dict[str, Key],
    token_for: Any,
) -> None:
    jwks_server.serve_keys([remote_keys["a"]], cache_control="max-age=30")
    verifier = _verifier(make_client())
    token = token_for(remote_keys["a"])

    verifier.verify(token)
    clock.advance(29)
    verifier.verify(token)
    assert jwks_server.requests == 1
    clock.advance(1)
    verifier.verify(token)
    assert jwks_server.requests == 2


def test_unknown_kid_refetch_picks_up_a_newly_published_key(
    jwks_server: Any, make_client: ClientFactory, remote_keys: dict[str, Key], token_for: Any
) -> None:
    jwks_server.serve_keys([remote_keys["a"]])
    verifier = _verifier(make_client())
    verifier.verify(token_for(remote_keys["a"]))

    jwks_server.serve_keys([remote_keys["a"], remote_keys["c"]])
    assert verifier.verify(token_for(remote_keys["c"])).sub == "user-42"
    assert jwks_server.requests == 2


def test_a_thousand_random_kids_from_many_threads_cause_at_most_ten_fetches(
    jwks_server: Any, make_client: ClientFactory, remote_keys: dict[str, Key], token_for: Any
) -> None:
    jwks_server.serve_keys([remote_keys["a"]])
    verifier = _verifier(make_client())
    genuine = token_for(remote_keys["a"])
    verifier.verify(genuine)
    hostile = [token_for(remote_keys["a"], kid=secrets.token_urlsafe(8)) for _ in range(1000)]

    def attempt(token: str) -> str:
        try:
            verifier.verify(token)
        except InvalidToken as error:
            return error.code
        return "accepted"

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = set(pool.map(attempt, hostile))

    assert codes == {"unknown_kid"}
    assert jwks_server.requests <= 10
    assert verifier.verify(genuine).sub == "user-42"


def test_cached_keys_keep_working_when_the_endpoint_goes_down(
    jwks_server: Any,
    make_client: ClientFactory,
    clock: Any,
    remote_keys: dict[str, Key],
    token_for: Any,
) -> None:
    jwks_server.serve_keys([remote_keys["a"]], cache_control="max-age=60")
    verifier = _verifier(make_client())
    verifier.verify(token_for(remote_keys["a"]))

    jwks_server.stop()
    clock.advance(61)
    assert verifier.verify(token_for(remote_keys["a"], sub="user-7")).sub == "user-7"


def test_cached_keys_keep_working_when_the_endpoint_errors(
    jwks_server: Any,
    make_client: ClientFactory,
    clock: Any,
    remote_keys: dict[str, Key],
    token_for: Any,
) -> None:
    jwks_server.serve_keys([remote_keys["a"]], cache_control="max-age=60")
    verifier = _verifier(make_client())
    verifier.verify(token_for(remote_keys["a"]))

    jwks_server.serve(500, b"Internal Server Error", content_type="text/plain")
    clock.advance(61)
    assert verifier.verify(token_for(remote_keys["a"], sub="user-7")).sub == "user-7"
    assert verifier.verify(token_for(remote_keys["a"], sub="user-8")).sub == "user-8"
    assert jwks_server.requests == 2  # one failed attempt, then a pause before the next


def test_endpoint_down_with_nothing_cached_is_keys_unavailable(
    jwks_server: Any, make_client: ClientFactory, remote_keys: dict[str, Key], token_for: Any
) -> None:
    jwks_server.stop()
    with pytest.raises(KeySetUnavailable) as raised:
        _verifier(make_client()).verify(token_for(remote_keys["a"]))
    assert raised.value.code == "keys_unavailable"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><body>Service Unavailable</body></html>", "text/html"),
        (b"[]", "application/json"),
        (b'{"keys": 5}', "application/json"),
        (b'{"keys": [' + b" " * (10 * 1024 * 1024) + b"]}", "application/json"),
    ],
    ids=["html", "json-array", "keys-not-a-list", "10-mb"],
)
def test_garbage_response_is_a_clear_error_and_nothing_is_cached(
    body: bytes,
    content_type: str,
    jwks_server: Any,
    make_client: ClientFactory,
    remote_keys: dict[str, Key],
    token_for: Any,
) -> None:
    jwks_server.serve(200, body, content_type=content_type)
    client = make_client()
    with pytest.raises(KeySetUnavailable):
        _verifier(client).verify(token_for(remote_keys["a"]))
    assert client.is_stale() and client.lookup(remote_keys["a"].kid) is None


def test_oversized_response_is_not_read_past_the_size_limit(
    jwks_server: Any, make_client: ClientFactory, remote_keys: dict[str, Key], token_for: Any
) -> None:
    jwks_server.serve(200, b'{"keys": [], "padding": "' + b"x" * (32 * 1024 * 1024) + b'"}')
    verifier = _verifier(make_client())
    token = token_for(remote_keys["a"])
    tracemalloc.start()
    try:
        with pytest.raises(KeySetUnavailable):
            verifier.verify(token)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


def test_revoked_key_disappears_after_max_age(
    jwks_server: Any,
    make_client: ClientFactory,
    clock: Any,
    remote_keys: dict[str, Key],
    token_for: Any,
) -> None:
    jwks_server.serve_keys([remote_keys["a"], remote_keys["c"]], cache_control="max-age=120")
    verifier = _verifier(make_client())
    token = token_for(remote_keys["a"])
    verifier.verify(token)

    jwks_server.serve_keys([remote_keys["c"]], cache_control="max-age=120")
    clock.advance(119)
    assert verifier.verify(token).sub == "user-42"
    clock.advance(1)
    with pytest.raises(UnknownKey):
        verifier.verify(token)
    assert len(verifier.cache) == 0
