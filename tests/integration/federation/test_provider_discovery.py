"""``federation.discover``: what ``jotauth providers add --issuer`` reads from a provider's
discovery document, over real HTTP on loopback, through the verifier's bounded reader."""

from __future__ import annotations

import json

import httpx
import pytest

from jotauth.federation import discover
from jotauth.federation.errors import InvalidProviderConfig, ProviderUnavailable
from tests.support.idp import LocalIdp, running_idp


def _document(idp: LocalIdp) -> dict[str, object]:
    body = idp.routes[idp.metadata_path]
    assert isinstance(body, bytes)
    return dict(json.loads(body))


async def test_the_endpoints_come_from_the_document_naming_the_issuer() -> None:
    with running_idp(issuer_path="/realms/acme", jwks_path="/certs") as idp:
        async with httpx.AsyncClient() as http:
            endpoints = await discover(idp.issuer, http=http)
    assert endpoints.issuer == idp.issuer
    assert endpoints.authorize_url.endswith("/authorize")
    assert endpoints.token_url.endswith("/token")
    assert endpoints.jwks_uri is not None and endpoints.jwks_uri.endswith("/certs")
    assert endpoints.userinfo_url is None


@pytest.mark.parametrize(
    ("answer", "error", "says"),
    [
        ((404, b"{}", {}), ProviderUnavailable, "answered HTTP 404"),
        # A redirect is not followed: the document must be where the issuer says it is.
        ((302, b"", {"Location": "http://127.0.0.1:9/elsewhere"}), ProviderUnavailable, "302"),
        ((200, b"{not json", {}), InvalidProviderConfig, "not JSON"),
        ((200, b'["issuer"]', {}), InvalidProviderConfig, "not a JSON object"),
        # A hostile or broken provider cannot make `providers add` read without bound.
        ((200, b" " * 2_000_000 + b"{}", {}), InvalidProviderConfig, "too large"),
    ],
)
async def test_an_unusable_document_is_one_clear_error(
    answer: tuple[int, bytes, dict[str, str]], error: type[Exception], says: str
) -> None:
    with running_idp(issuer_path="/realms/acme", jwks_path="/certs") as idp:
        idp.routes[idp.metadata_path] = answer
        async with httpx.AsyncClient() as http:
            with pytest.raises(error, match=says):
                await discover(idp.issuer, http=http)


async def test_a_document_naming_another_issuer_is_refused() -> None:
    with running_idp(issuer_path="/realms/acme", jwks_path="/certs") as idp:
        idp.routes[idp.metadata_path] = json.dumps(
            {**_document(idp), "issuer": "https://evil.example"}
        ).encode()
        async with httpx.AsyncClient() as http:
            with pytest.raises(InvalidProviderConfig, match=r"evil\.example"):
                await discover(idp.issuer, http=http)
