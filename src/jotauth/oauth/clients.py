"""The registry of OAuth clients (DESIGN §11): public or confidential, exact redirect URIs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import RowMapping

from jotauth.keys import ID_TOKEN_DEFAULT_ALGORITHM
from jotauth.store import Store
from jotauth.store.schema import oauth_clients, oauth_consents

ClientType = Literal["public", "confidential"]
_MAX_URI = 2048


@dataclass(frozen=True, slots=True)
class OAuthClient:
    """A registered client, as the provider checks requests against it."""

    client_id: str
    name: str
    client_type: ClientType
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    first_party: bool
    created_at: float
    secret_hash: str | None = None
    # OIDC Dynamic Client Registration §2's name; RS256 unless registered otherwise.
    id_token_signed_response_alg: str = ID_TOKEN_DEFAULT_ALGORITHM

    @property
    def is_public(self) -> bool:
        """A public client (SPA, native app) cannot keep a secret."""
        return self.client_type == "public"

    def origins(self) -> frozenset[str]:
        """The origins of the client's redirect URIs (where its JavaScript runs)."""
        return frozenset(origin_of(uri) for uri in self.redirect_uris)

    def check_secret(self, secret: str | None) -> bool:
        """Whether ``secret`` is this confidential client's secret (constant time)."""
        if self.secret_hash is None or not secret:
            return False
        return hmac.compare_digest(self.secret_hash, hash_secret(secret))


@dataclass(frozen=True, slots=True)
class RegisteredClient:
    """What ``clients add`` prints: the secret is shown this once and never stored."""

    client: OAuthClient
    client_secret: str | None


def hash_secret(secret: str) -> str:
    """SHA-256 of a client secret (256-bit random: no slow hash needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def origin_of(uri: str) -> str:
    """``scheme://host[:port]`` of an absolute URI."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_redirect_uri(uri: str) -> str:
    """An absolute URI without fragment (RFC 6749 §3.1.2); ``http`` only for loopback hosts
    (RFC 8252 §7.3) or private-use schemes for native apps. Raises ``ValueError``."""
    parts = urlsplit(uri)
    if len(uri) > _MAX_URI or not parts.scheme or parts.fragment or "#" in uri:
        raise ValueError(f"{uri!r}: an absolute URI without a fragment is required")
    if any(ord(c) <= 0x20 or ord(c) >= 0x7F or c == "\\" for c in uri):
        raise ValueError(f"{uri!r}: printable ASCII without backslashes only")
    if parts.scheme in ("http", "https"):
        if not parts.hostname or "@" in parts.netloc:
            raise ValueError(f"{uri!r}: a host and no userinfo are required")
        loopback = parts.hostname in ("127.0.0.1", "::1", "localhost") or parts.hostname.endswith(
            ".localhost"
        )
        if parts.scheme == "http" and not loopback:
            raise ValueError(f"{uri!r}: http is only allowed for loopback hosts")
    elif parts.scheme in ("javascript", "data", "file", "vbscript"):
        raise ValueError(f"{uri!r}: scheme not allowed")
    return uri


class ClientRegistry:
    """Registers, finds, lists and removes OAuth clients in the store."""

    def __init__(
        self,
        store: Store,
        *,
        reserved_ids: Iterable[str],
        id_token_algorithms: Iterable[str] = (ID_TOKEN_DEFAULT_ALGORITHM,),
        clock: Callable[[], float],
    ) -> None:
        """``reserved_ids`` are the resource audiences: an ID token's ``aud`` is its client
        id, so a client named like an API would mint ID tokens that API accepts (RFC 8725
        §3.11, DESIGN §11). ``id_token_algorithms``: what a client may register for its ID
        tokens (the ones the server has keys for)."""
        self._store = store
        self._reserved = frozenset(reserved_ids)
        self._id_token_algorithms = tuple(id_token_algorithms)
        self._clock = clock

    async def add(
        self,
        name: str,
        *,
        redirect_uris: Iterable[str],
        client_type: ClientType,
        post_logout_redirect_uris: Iterable[str] = (),
        scopes: Iterable[str] = (),
        first_party: bool = False,
        client_id: str | None = None,
        id_token_signed_response_alg: str = ID_TOKEN_DEFAULT_ALGORITHM,
    ) -> RegisteredClient:
        """Register a client; raises ``ValueError`` for a bad URI, a reserved id or an ID
        token algorithm the server has no key for."""
        if id_token_signed_response_alg not in self._id_token_algorithms:
            supported = ", ".join(self._id_token_algorithms)
            raise ValueError(
                f"ID tokens can be signed with {supported}, not {id_token_signed_response_alg!r}"
            )
        redirects = tuple(check_redirect_uri(uri) for uri in redirect_uris)
        if not redirects:
            raise ValueError("at least one --redirect-uri is required")
        post_logout = tuple(check_redirect_uri(uri) for uri in post_logout_redirect_uris)
        chosen_id = client_id or secrets.token_urlsafe(18)
        if chosen_id in self._reserved:
            raise ValueError(f"client id {chosen_id!r} equals a configured resource audience")
        secret = secrets.token_urlsafe(32) if client_type == "confidential" else None
        client = OAuthClient(
            client_id=chosen_id,
            name=name[:200],
            client_type=client_type,
            redirect_uris=redirects,
            post_logout_redirect_uris=post_logout,
            scopes=tuple(sorted(set(scopes))),
            first_party=first_party,
            created_at=self._clock(),
            secret_hash=hash_secret(secret) if secret else None,
            id_token_signed_response_alg=id_token_signed_response_alg,
        )
        async with self._store.transaction() as conn:
            await conn.execute(
                insert(oauth_clients).values(
                    client_id=client.client_id,
                    name=client.name,
                    client_type=client.client_type,
                    secret_hash=client.secret_hash,
                    redirect_uris=list(client.redirect_uris),
                    post_logout_redirect_uris=list(client.post_logout_redirect_uris),
                    scopes=list(client.scopes),
                    first_party=client.first_party,
                    created_at=client.created_at,
                    # NULL for the default, so a later default stays the default.
                    id_token_signed_response_alg=None
                    if id_token_signed_response_alg == ID_TOKEN_DEFAULT_ALGORITHM
                    else id_token_signed_response_alg,
                )
            )
        return RegisteredClient(client=client, client_secret=secret)

    async def get(self, client_id: str) -> OAuthClient | None:
        """The client, or None (also for a reserved id, which can never be a client)."""
        if not client_id or len(client_id) > 64 or client_id in self._reserved:
            return None
        async with self._store.read() as conn:
            row = (
                (
                    await conn.execute(
                        select(oauth_clients).where(oauth_clients.c.client_id == client_id)
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else _client_from_row(row)

    async def list(self) -> list[OAuthClient]:
        """Every registered client, oldest first."""
        async with self._store.read() as conn:
            rows = (
                await conn.execute(select(oauth_clients).order_by(oauth_clients.c.created_at))
            ).mappings()
            return [_client_from_row(row) for row in rows]

    async def remove(self, client_id: str) -> bool:
        """Delete a client and the consents users gave it; False when there was none."""
        async with self._store.transaction() as conn:
            # Explicit, not only the foreign key's cascade: a consent must never outlive its
            # client (a client registered again under the id would inherit it).
            await conn.execute(
                delete(oauth_consents).where(oauth_consents.c.client_id == client_id)
            )
            result = await conn.execute(
                delete(oauth_clients).where(oauth_clients.c.client_id == client_id)
            )
        return bool(result.rowcount)

    async def public_origins(self) -> frozenset[str]:
        """The origins of every public client's redirect URIs (allowed CORS origins)."""
        return frozenset(
            origin
            for client in await self.list()
            if client.is_public
            for origin in client.origins()
        )


def _client_from_row(row: RowMapping) -> OAuthClient:
    return OAuthClient(
        client_id=row["client_id"],
        name=row["name"],
        client_type="public" if row["client_type"] == "public" else "confidential",
        redirect_uris=tuple(row["redirect_uris"]),
        post_logout_redirect_uris=tuple(row["post_logout_redirect_uris"]),
        scopes=tuple(row["scopes"]),
        first_party=bool(row["first_party"]),
        created_at=row["created_at"],
        secret_hash=row["secret_hash"],
        id_token_signed_response_alg=row["id_token_signed_response_alg"]
        or ID_TOKEN_DEFAULT_ALGORITHM,
    )
