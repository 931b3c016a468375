"""Fixtures: one JWKS endpoint and the guarded apps served on loopback, per module."""

from collections.abc import Iterator

import pytest

from jotauth.jose import Key
from lessons_api import create_lessons_app
from tests.integration.guard.guard_apps import guarded_test_app
from tests.integration.guard.guard_harness import AUDIENCE, ISSUER, AuthServer, ServedApp, served
from tests.support.jwks import JwksServer, running_jwks_server
from tests.support.serve import started
from tests.support.tokens import Mint


@pytest.fixture(scope="module")
def signing_key() -> Key:
    return Key.generate("RS256", kid="guard-test-key")


@pytest.fixture(scope="module")
def mint(signing_key: Key) -> Mint:
    return Mint(signing_key, issuer=ISSUER, audience=AUDIENCE)


@pytest.fixture(scope="module")
def jwks(signing_key: Key) -> Iterator[JwksServer]:
    with running_jwks_server() as endpoint:
        endpoint.serve_keys([signing_key], cache_control="max-age=300")
        yield endpoint


@pytest.fixture(scope="module")
def jwks_url(jwks: JwksServer) -> str:
    return jwks.url


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
    with started(AuthServer(tmp_path_factory.mktemp("auth-server"))) as server:
        yield server
