"""An issuer's metadata (OIDC Discovery 1.0, RFC 8414): where its keys are published.

Read once, at start-up, by :meth:`jotauth.verify.TokenVerifier.from_issuer`; the keys
themselves are then fetched and cached by a :class:`~jotauth.verify.JWKSClient`.
"""

from __future__ import annotations

import ipaddress
import json
from typing import NamedTuple
from urllib.parse import urlsplit

import httpx

from ..jose import InvalidKeySet, KeySetUnavailable
from .jwks_client import _ACCEPT_JSON, _CappedBody, _describe

OIDC_WELL_KNOWN = "/.well-known/openid-configuration"
OAUTH_WELL_KNOWN = "/.well-known/oauth-authorization-server"


class IssuerMetadata(NamedTuple):
    """What a verifier takes from an issuer's metadata document."""

    issuer: str
    jwks_uri: str


def metadata_urls(issuer: str) -> tuple[str, str]:
    """Where an issuer's metadata lives, in the order they are tried.

    OIDC Discovery §4: the issuer with any terminating ``/`` removed, then
    ``/.well-known/openid-configuration``. RFC 8414 §3.1:
    ``/.well-known/oauth-authorization-server`` between the host and the issuer's path.
    """
    check_url(issuer, what="the issuer")
    parts = urlsplit(issuer)
    origin = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/")
    return f"{origin}{path}{OIDC_WELL_KNOWN}", f"{origin}{OAUTH_WELL_KNOWN}{path}"


def check_url(url: str, *, what: str) -> None:
    """Refuse anything but https, except plain http to a loopback host (local development
    and tests): keys fetched in clear text from the network could be anyone's."""
    parts = urlsplit(url)
    if parts.query or parts.fragment or not parts.hostname:
        raise ValueError(f"{what} must be an https URL without query or fragment: {url!r}")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and is_loopback_name(parts.hostname):
        return
    raise ValueError(f"{what} must use https (plain http only on loopback): {url!r}")


def is_loopback_name(host: str) -> bool:
    """Whether a URL's host can only be this machine (a loopback IP, ``localhost`` or a
    ``*.localhost`` name, RFC 6761 §6.3): where plain http is tolerated."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def discover(
    issuer: str, *, http_client: httpx.Client | None = None, timeout: float = 5.0
) -> IssuerMetadata:
    """Fetch and check ``issuer``'s metadata (blocking).

    The document must name exactly ``issuer`` (OIDC Discovery §4.3, RFC 8414 §3.3: otherwise
    one issuer could publish keys for another) and a ``jwks_uri`` that passes
    :func:`check_url`. Raises :class:`KeySetUnavailable` when no metadata can be fetched and
    :class:`InvalidKeySet` when the document is unusable.
    """
    client = http_client or httpx.Client(timeout=timeout, follow_redirects=False)
    failures: list[str] = []
    try:
        for url in metadata_urls(issuer):
            try:
                body = _fetch(client, url)
            except (httpx.HTTPError, InvalidKeySet) as exc:
                failures.append(f"{url}: {_describe(exc)}")
                continue
            return _parse(body, issuer)
    finally:
        if http_client is None:
            client.close()
    raise KeySetUnavailable(f"no metadata for issuer {issuer}: " + "; ".join(failures))


async def fetch_document(client: httpx.AsyncClient, url: str, issuer: str) -> dict[str, object]:
    """The metadata document at ``url`` (no redirects followed, body bounded like a JWKS),
    which must name exactly ``issuer``: what an OpenID Connect client (federation) reads
    before it trusts a provider's endpoints. Raises ``httpx.HTTPError`` (status included)
    when it cannot be fetched and :class:`InvalidKeySet` when it is unusable."""
    async with client.stream("GET", url, headers=_ACCEPT_JSON, follow_redirects=False) as response:
        response.raise_for_status()
        body = _CappedBody()
        async for chunk in response.aiter_bytes():
            body.add(chunk)
    return parse_document(body.value(), issuer)


def parse_document(body: bytes, issuer: str) -> dict[str, object]:
    """``body`` as a metadata JSON object naming exactly ``issuer`` (OIDC Discovery §4.3,
    RFC 8414 §3.3); raises :class:`InvalidKeySet` otherwise."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidKeySet("the issuer metadata is not JSON") from exc
    if not isinstance(document, dict):
        raise InvalidKeySet("the issuer metadata is not a JSON object")
    if document.get("issuer") != issuer:
        raise InvalidKeySet(f"the metadata names issuer {document.get('issuer')!r}, not {issuer!r}")
    return document


def _fetch(client: httpx.Client, url: str) -> bytes:
    with client.stream("GET", url, headers=_ACCEPT_JSON) as response:
        response.raise_for_status()
        body = _CappedBody()  # the JWKS bound: a metadata document is smaller still
        for chunk in response.iter_bytes():
            body.add(chunk)
        return body.value()


def _parse(body: bytes, issuer: str) -> IssuerMetadata:
    document = parse_document(body, issuer)
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str):
        raise InvalidKeySet("the issuer metadata has no jwks_uri")
    try:
        check_url(jwks_uri, what="jwks_uri")
    except ValueError as exc:
        raise InvalidKeySet(str(exc)) from exc
    return IssuerMetadata(issuer=issuer, jwks_uri=jwks_uri)
