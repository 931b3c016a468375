"""The upstream identity providers (``jotauth providers add|list|remove``, DESIGN §14).

An OpenID Connect provider is added from its issuer URL: the discovery document (OIDC
Discovery §4) is fetched once, its ``issuer`` must equal the URL given, and its endpoints are
stored, so a sign-in never waits on discovery. An OAuth 2 provider that is not OIDC (GitHub's
shape) is added with explicit endpoints and a claim mapping. Client secrets are sealed at
rest with the server secret, bound to the provider's name (:mod:`jotauth.store.sealing`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

import httpx
from sqlalchemy import delete, exc, insert, select
from sqlalchemy.engine import RowMapping

from jotauth.federation.errors import InvalidProviderConfig, ProviderExists, ProviderUnavailable
from jotauth.jose import InvalidKeySet
from jotauth.store import Sealer, Store
from jotauth.store.schema import federation_providers
from jotauth.users import InvalidEmail, normalise_email
from jotauth.verify.discovery import OIDC_WELL_KNOWN, fetch_document, is_loopback_name

ProviderKind = Literal["oidc", "oauth2"]
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_SECRET_PURPOSE = b"jotauth federation client secret v1"
_MAX_URL = 2048
CLAIM_KEYS = ("sub", "email", "email_verified", "name")
# Where each claim is read from the ID token (OIDC) or the user endpoint (OAuth 2).
OIDC_CLAIMS: Mapping[str, str] = {
    "sub": "sub",
    "email": "email",
    "email_verified": "email_verified",
    "name": "name",
}
# GitHub's /user: a numeric id, a name that may be null; the address comes from /user/emails.
OAUTH2_CLAIMS: Mapping[str, str] = {
    "sub": "id",
    "email": "email",
    "email_verified": "",
    "name": "name",
}


@dataclass(frozen=True, slots=True)
class UpstreamProvider:
    """One configured provider, as a sign-in uses it."""

    name: str
    kind: ProviderKind
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str
    token_url: str
    userinfo_url: str | None
    emails_url: str | None
    jwks_uri: str | None
    iss_parameter_supported: bool
    scopes: tuple[str, ...]
    trusted_email_domains: tuple[str, ...]
    claims: Mapping[str, str]
    created_at: float
    # The provider's verified ID token may vouch for the second factor: amr containing "mfa"
    # then needs no second step here (``providers add --accept-mfa``; OIDC only).
    accept_mfa: bool = False

    def trusts_email_domain(self, email: str) -> bool:
        """Whether the operator marked this provider as authoritative for ``email``'s domain
        (exact domain match: a trusted ``example.com`` does not vouch for ``x.example.com``)."""
        domain = email.rpartition("@")[2].lower()
        return bool(domain) and domain in self.trusted_email_domains

    def public_view(self) -> dict[str, object]:
        """What ``providers list`` prints (never the secret)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "authorize_url": self.authorize_url,
            "token_url": self.token_url,
            "userinfo_url": self.userinfo_url,
            "emails_url": self.emails_url,
            "jwks_uri": self.jwks_uri,
            "scopes": list(self.scopes),
            "trusted_email_domains": list(self.trusted_email_domains),
            "claims": dict(self.claims),
            "accept_mfa": self.accept_mfa,
        }


@dataclass(frozen=True, slots=True)
class ProviderEndpoints:
    """Where a provider lives: from discovery (OIDC) or given explicitly (OAuth 2)."""

    issuer: str
    authorize_url: str
    token_url: str
    userinfo_url: str | None = None
    emails_url: str | None = None
    jwks_uri: str | None = None
    iss_parameter_supported: bool = False


def check_endpoint(url: str, what: str) -> str:
    """An absolute ``https`` URL (``http`` only on loopback, for development and tests)."""
    parts = urlsplit(url)
    if len(url) > _MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidProviderConfig(f"{what}: an absolute https URL is required, not {url!r}")
    if parts.fragment or any(ord(c) <= 0x20 or ord(c) >= 0x7F for c in url):
        raise InvalidProviderConfig(f"{what}: {url!r} has a fragment or unsafe characters")
    if parts.scheme == "http" and not is_loopback_name(parts.hostname):
        raise InvalidProviderConfig(f"{what}: plain http is only allowed on loopback ({url!r})")
    return url


async def discover(issuer: str, *, http: httpx.AsyncClient) -> ProviderEndpoints:
    """The endpoints of an OpenID provider from its discovery document (OIDC Discovery §4).

    The document's ``issuer`` must be exactly ``issuer`` (§4.3: otherwise another provider
    could be impersonated through a look-alike document). Raises ProviderUnavailable when it
    cannot be fetched, InvalidProviderConfig when it is not usable.
    """
    check_endpoint(issuer, "--issuer")
    url = issuer.rstrip("/") + OIDC_WELL_KNOWN
    try:
        document = await fetch_document(http, url, issuer)
    except httpx.HTTPStatusError as error:
        raise ProviderUnavailable(f"{url} answered HTTP {error.response.status_code}") from error
    except httpx.HTTPError as error:
        raise ProviderUnavailable(f"{url} could not be fetched ({type(error).__name__})") from error
    except InvalidKeySet as error:
        raise InvalidProviderConfig(f"{url}: {error.detail}") from error

    def endpoint(key: str, *, required: bool) -> str | None:
        value = document.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str):
            raise InvalidProviderConfig(f"the discovery document has no usable {key}")
        return check_endpoint(value, key)

    return ProviderEndpoints(
        issuer=issuer,
        authorize_url=str(endpoint("authorization_endpoint", required=True)),
        token_url=str(endpoint("token_endpoint", required=True)),
        userinfo_url=endpoint("userinfo_endpoint", required=False),
        jwks_uri=endpoint("jwks_uri", required=True),
        iss_parameter_supported=document.get("authorization_response_iss_parameter_supported")
        is True,
    )


class ProviderRegistry:
    """The configured providers in the store; secrets sealed with the server secret."""

    def __init__(self, store: Store, *, secret: bytes, clock: Callable[[], float]) -> None:
        self._store = store
        self._sealer = Sealer(secret, purpose=_SECRET_PURPOSE)
        self._clock = clock

    async def add(
        self,
        name: str,
        *,
        kind: ProviderKind,
        endpoints: ProviderEndpoints,
        client_id: str,
        client_secret: str,
        scopes: Iterable[str] = (),
        trusted_email_domains: Iterable[str] = (),
        claims: Mapping[str, str] | None = None,
        accept_mfa: bool = False,
    ) -> UpstreamProvider:
        """Store a provider; raises InvalidProviderConfig, ProviderExists.

        ``accept_mfa``: a sign-in whose ID token says ``amr`` contains ``mfa`` counts as
        both factors (OpenID Connect only: an OAuth 2 provider has no signed claims)."""
        if not _NAME.fullmatch(name):
            raise InvalidProviderConfig(
                f"{name!r}: a provider name is 1-64 letters, digits, '-' or '_'"
            )
        if not client_id or len(client_id) > 255:
            raise InvalidProviderConfig("--client-id is required (at most 255 characters)")
        for url, what in (
            (endpoints.authorize_url, "--authorize-url"),
            (endpoints.token_url, "--token-url"),
        ):
            check_endpoint(url, what)
        for optional, what in (
            (endpoints.userinfo_url, "--userinfo-url"),
            (endpoints.emails_url, "--emails-url"),
            (endpoints.jwks_uri, "jwks_uri"),
        ):
            if optional is not None:
                check_endpoint(optional, what)
        if kind == "oauth2" and endpoints.userinfo_url is None:
            raise InvalidProviderConfig("an OAuth 2 provider needs --userinfo-url")
        if accept_mfa and kind != "oidc":
            raise InvalidProviderConfig(
                "--accept-mfa needs an OpenID Connect provider: only its signed ID token's amr "
                "can vouch for a second factor"
            )
        chosen_scopes = tuple(dict.fromkeys(scopes)) or (
            ("openid", "email", "profile") if kind == "oidc" else ()
        )
        if kind == "oidc" and "openid" not in chosen_scopes:
            chosen_scopes = ("openid", *chosen_scopes)
        mapping = {**(OIDC_CLAIMS if kind == "oidc" else OAUTH2_CLAIMS), **(claims or {})}
        unknown = set(mapping) - set(CLAIM_KEYS)
        if unknown:
            raise InvalidProviderConfig(f"unknown claims {sorted(unknown)}: use {CLAIM_KEYS}")
        provider = UpstreamProvider(
            name=name,
            kind=kind,
            issuer=endpoints.issuer,
            client_id=client_id,
            client_secret=client_secret,
            authorize_url=endpoints.authorize_url,
            token_url=endpoints.token_url,
            userinfo_url=endpoints.userinfo_url,
            emails_url=endpoints.emails_url,
            jwks_uri=endpoints.jwks_uri,
            iss_parameter_supported=endpoints.iss_parameter_supported,
            scopes=chosen_scopes,
            trusted_email_domains=tuple(_domain(d) for d in trusted_email_domains),
            claims=mapping,
            created_at=self._clock(),
            accept_mfa=accept_mfa,
        )
        nonce, sealed = self._sealer.seal(
            client_secret.encode("utf-8"), associated_data=name.encode("ascii")
        )
        try:
            async with self._store.transaction() as conn:
                await conn.execute(
                    insert(federation_providers).values(
                        name=name,
                        kind=kind,
                        issuer=provider.issuer,
                        client_id=client_id,
                        client_secret_nonce=nonce,
                        client_secret_sealed=sealed,
                        authorize_url=provider.authorize_url,
                        token_url=provider.token_url,
                        userinfo_url=provider.userinfo_url,
                        emails_url=provider.emails_url,
                        jwks_uri=provider.jwks_uri,
                        iss_parameter_supported=provider.iss_parameter_supported,
                        scopes=list(provider.scopes),
                        trusted_email_domains=list(provider.trusted_email_domains),
                        claims=dict(mapping),
                        created_at=provider.created_at,
                        accept_mfa=accept_mfa,
                    )
                )
        except exc.IntegrityError as error:
            raise ProviderExists() from error
        return provider

    async def get(self, name: str) -> UpstreamProvider | None:
        """The provider called ``name``, or None."""
        if not _NAME.fullmatch(name):
            return None
        async with self._store.read() as conn:
            row = (
                (
                    await conn.execute(
                        select(federation_providers).where(federation_providers.c.name == name)
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else self._from_row(row)

    async def all(self) -> list[UpstreamProvider]:
        """Every provider, by name."""
        async with self._store.read() as conn:
            rows = (
                await conn.execute(
                    select(federation_providers).order_by(federation_providers.c.name)
                )
            ).mappings()
            return [self._from_row(row) for row in rows]

    async def names(self) -> list[str]:
        """The providers' names (the hosted login's buttons), without opening any secret."""
        async with self._store.read() as conn:
            result = await conn.execute(
                select(federation_providers.c.name).order_by(federation_providers.c.name)
            )
            return list(result.scalars())

    async def remove(self, name: str) -> bool:
        """Delete a provider (its linked identities stay, and sign in again if it is re-added
        with the same issuer); whether it existed."""
        async with self._store.transaction() as conn:
            result = await conn.execute(
                delete(federation_providers).where(federation_providers.c.name == name)
            )
        return bool(result.rowcount)

    def _from_row(self, row: RowMapping) -> UpstreamProvider:
        secret = self._sealer.open(
            row["client_secret_nonce"],
            row["client_secret_sealed"],
            associated_data=row["name"].encode("ascii"),
        )
        return UpstreamProvider(
            name=row["name"],
            kind=row["kind"],
            issuer=row["issuer"],
            client_id=row["client_id"],
            client_secret=secret.decode("utf-8"),
            authorize_url=row["authorize_url"],
            token_url=row["token_url"],
            userinfo_url=row["userinfo_url"],
            emails_url=row["emails_url"],
            jwks_uri=row["jwks_uri"],
            iss_parameter_supported=bool(row["iss_parameter_supported"]),
            scopes=tuple(row["scopes"]),
            trusted_email_domains=tuple(row["trusted_email_domains"]),
            claims=dict(row["claims"]),
            created_at=row["created_at"],
            accept_mfa=bool(row["accept_mfa"]),
        )


def _domain(value: str) -> str:
    """A trusted domain, normalised as account addresses are (IDNA UTS #46, lower case)."""
    try:
        return normalise_email(f"x@{value.strip()}").rpartition("@")[2]
    except InvalidEmail as error:
        raise InvalidProviderConfig(f"--trust-email-domain {value!r} is not a domain") from error
