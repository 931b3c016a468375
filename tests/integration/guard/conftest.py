"""Fixtures: one JWKS endpoint and the guarded apps served on loopback, per module."""

from collections.abc import Iterator

import pytest

from jotauth.examples.lessons import create_lessons_app
from jotauth.jose import Key
from tests.integration.guard.guard_apps import guarded_test_app
from tests.integration.guard.guard_harness import (
    AUDIENCE,
    ISSUER,
    AuthServer,
    JwksEndpoint,
    Mint,
    ServedApp,
    served,
)


@pytest.fixture(scope="module")
def signing_key() -> Key:
    return Key.generate("RS256", kid="guard-test-key")


@pytest.fixture(scope="module")
def mint(signing_key: Key) -> Mint:
    return Mint(signing_key)


@pytest.fixture(scope="module")
def jwks(signing_key: Key) -> Iterator[tuple[JwksEndpoint, ServedApp]]:
    endpoint = JwksEndpoint(signing_key)
    with served(endpoint.app) as server:
        yield endpoint, server


@pytest.fixture(scope="module")
def jwks_url(jwks: tuple[JwksEndpoint, ServedApp]) -> str:
    return f"{jwks[1].url}/.well-known/jwks.json"


@pytest.fixture(scope="module")
def guarded(jwks_url: str) -> Iterator[ServedApp]:
    with served(guarded_test_app(jwks_url)) as server:
        yield server


@pytest.fixture(scope="module")
def lessons(jwks_url: str) -> Iterator[ServedApp]:
    app = create_lessons_app(jwks_url=jwks_url, issuer=ISSUER, audience=AUDIENCE)
    with served(app) as server:
        yield server


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    """A real ``jotauth serve`` (fresh SQLite file, production cookie settings)."""
    server = AuthServer(tmp_path_factory.mktemp("auth-server"))
    try:
        yield server.wait_ready()
    finally:
        server.stop()
