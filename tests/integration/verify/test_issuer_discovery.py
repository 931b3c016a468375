"""``TokenVerifier.from_issuer``: the issuer's metadata read once over real HTTP on loopback
(OIDC Discovery, then RFC 8414), checked before anything is trusted, and its ``jwks_uri``
handed to the cached JWKS clients."""

from __future__ import annotations

import json
import time

import pytest

from jotauth.jose import InvalidKeySet, KeySetUnavailable
from jotauth.verify import JWKSClient, SyncJWKSClient, TokenVerifier
from tests.support.idp import LocalIdp, running_idp

AUDIENCE = "lessons-api"


def _token(idp: LocalIdp) -> str:
    now = int(time.time())
    return idp.sign(
        {"iss": idp.issuer, "sub": "user-1", "aud": AUDIENCE, "iat": now, "exp": now + 300},
        header={"typ": "JWT"},
    )


def _metadata(idp: LocalIdp, **changes: object) -> None:
    body = idp.routes[idp.metadata_path]
    assert isinstance(body, bytes)
    idp.routes[idp.metadata_path] = json.dumps({**json.loads(body), **changes}).encode()


async def test_openid_configuration_configures_an_async_verifier() -> None:
    with running_idp(issuer_path="/realms/demo", jwks_path="/certs") as idp:
        verifier = TokenVerifier.from_issuer(idp.issuer, audience=AUDIENCE)
        assert isinstance(verifier._keys, JWKSClient)
        assert idp.jwks_requests == 0  # keys are fetched on first use, not at start-up
        assert (await verifier.averify(_token(idp))).sub == "user-1"
        with pytest.raises(TypeError):
            verifier.verify(_token(idp))
        assert (idp.metadata_requests, idp.jwks_requests) == (1, 1)


def test_sync_builds_a_blocking_verifier_for_wsgi_apps() -> None:
    with running_idp(issuer_path="/tenant/v2.0", jwks_path="/keys", jwks_alg=False) as idp:
        verifier = TokenVerifier.from_issuer(idp.issuer, audience=AUDIENCE, sync=True)
        assert isinstance(verifier._keys, SyncJWKSClient)
        assert verifier.verify(_token(idp)).iss == idp.issuer


def test_rfc8414_metadata_is_the_fallback_with_the_well_known_part_before_the_path() -> None:
    with running_idp(issuer_path="/oauth2/default", jwks_path="/k", metadata="oauth") as idp:
        assert idp.metadata_path == "/.well-known/oauth-authorization-server/oauth2/default"
        verifier = TokenVerifier.from_issuer(idp.issuer, audience=AUDIENCE, sync=True)
        assert verifier.verify(_token(idp)).sub == "user-1"
        assert idp.requests["/oauth2/default/.well-known/openid-configuration"] == 1  # tried first


def test_metadata_naming_another_issuer_is_refused_at_once() -> None:
    # OIDC Discovery §4.3: otherwise one tenant's metadata could vouch for another's keys.
    with running_idp(issuer_path="/tenant-a", jwks_path="/k") as idp:
        _metadata(idp, issuer=idp.issuer.replace("tenant-a", "tenant-b"))
        with pytest.raises(InvalidKeySet, match="names issuer"):
            TokenVerifier.from_issuer(idp.issuer, audience=AUDIENCE)
        with pytest.raises(InvalidKeySet, match="names issuer"):
            TokenVerifier.from_issuer(idp.issuer + "/", audience=AUDIENCE)  # exact, slash too


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>not json</html>", "not JSON"),
        (b'["issuer"]', "not a JSON object"),
        (None, "no jwks_uri"),
        (b"jwks_uri:http://keys.example.com/jwks", "https"),
    ],
)
def test_unusable_metadata_is_refused(body: bytes | None, reason: str) -> None:
    with running_idp(issuer_path="/i", jwks_path="/k") as idp:
        if body is None:
            _metadata(idp, jwks_uri=None)
        elif body.startswith(b"jwks_uri:"):
            _metadata(idp, jwks_uri=body.decode().removeprefix("jwks_uri:"))
        else:
            idp.routes[idp.metadata_path] = body
        with pytest.raises(InvalidKeySet, match=reason):
            TokenVerifier.from_issuer(idp.issuer, audience=AUDIENCE)


def test_no_metadata_anywhere_is_a_clear_error_naming_both_places() -> None:
    with running_idp(issuer_path="/i", jwks_path="/k") as idp:
        idp.routes.pop(idp.metadata_path)
        with pytest.raises(KeySetUnavailable) as raised:
            TokenVerifier.from_issuer(idp.issuer, audience=AUDIENCE)
        detail = raised.value.detail
        assert "openid-configuration: HTTP 404" in detail
        assert "oauth-authorization-server/i: HTTP 404" in detail


def test_redirects_and_huge_documents_are_not_followed_or_read() -> None:
    with running_idp(issuer_path="/i", jwks_path="/k") as idp:
        elsewhere = {"Location": "https://evil.example.com/.well-known/openid-configuration"}
        idp.routes[idp.metadata_path] = (302, b"", elsewhere)
        with pytest.raises(KeySetUnavailable, match="HTTP 302"):
            TokenVerifier.from_issuer(idp.issuer, audience=AUDIENCE)
        idp.routes[idp.metadata_path] = b'{"issuer": "' + b"x" * 600_000 + b'"}'
        with pytest.raises(KeySetUnavailable, match="too large"):
            TokenVerifier.from_issuer(idp.issuer, audience=AUDIENCE)


@pytest.mark.parametrize(
    "issuer",
    [
        "http://idp.example.com/realms/demo",  # clear text off loopback
        "ftp://127.0.0.1/x",
        "https://idp.example.com/realms/demo?tenant=a",
        "https://idp.example.com/#x",
        "not a url",
    ],
)
def test_an_issuer_url_that_cannot_be_trusted_is_refused_before_any_request(issuer: str) -> None:
    with pytest.raises(ValueError):
        TokenVerifier.from_issuer(issuer, audience=AUDIENCE)
