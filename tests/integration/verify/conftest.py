"""Fixtures of the JWKS client tests (owner: foundation): a real JWKS endpoint on loopback
(``tests.support.jwks``: the test decides every response, counts requests, takes it down),
a clock standing still, the keys it may publish, and valid tokens signed by them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jotauth.jose import Key, encode
from tests.support.clock import SettableClock
from tests.support.jwks import JwksServer, running_jwks_server
from tests.support.tokens import access_claims

ISSUER = "https://auth.example.test"
AUDIENCE = "lessons-api"


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    """A started loopback JWKS endpoint, stopped after the test."""
    with running_jwks_server() as server:
        yield server


@pytest.fixture
def clock() -> SettableClock:
    """A monotonic clock for the JWKS clients' cache and rate limit, standing still."""
    return SettableClock(10_000.0)


@pytest.fixture(scope="session")
def remote_keys() -> dict[str, Key]:
    """Keys the endpoint may publish: 'a' and 'b' (ES256), 'c' (EdDSA), 'r' (RS256)."""
    return {
        "a": Key.generate("ES256", kid="key-a"),
        "b": Key.generate("ES256", kid="key-b"),
        "c": Key.generate("EdDSA", kid="key-c"),
        "r": Key.generate("RS256", kid="key-r"),
    }


@pytest.fixture
def token_for() -> Callable[..., str]:
    """``token_for(key, kid=None, **claims)``: a valid access token signed by ``key``,
    optionally claiming another ``kid`` in its header."""

    def make(key: Key, kid: str | None = None, **overrides: Any) -> str:
        signer = key if kid is None else Key.from_jwk(key.private_jwk() | {"kid": kid})
        return encode(access_claims(issuer=ISSUER, audience=AUDIENCE, **overrides), signer)

    return make
