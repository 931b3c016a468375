"""What the auth server asks of its signing keys, whichever strategy provides them.

Two strategies implement :class:`SigningKeys`: :class:`~jotauth.keys.stored.StoredSigningKeys`
(generated, rotated and shared through a :class:`~jotauth.keys.repository.SigningKeyRepository`)
and :class:`~jotauth.keys.files.PemFileSigningKeys` (fixed keys from PEM files, rotated by
replacing the files). The composition root picks one (:func:`jotauth.composition.signing_keys_for`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from jotauth import jose
from jotauth.keys.errors import SigningKeysError
from jotauth.keys.lifecycle import KeyRing, ManagedKey

RotationOutcome = Literal["promoted", "published_next", "waiting", "revoked"]


@dataclass(frozen=True)
class RotationResult:
    """What a rotation request did, and why."""

    outcome: RotationOutcome
    current_kid: str | None
    next_kid: str | None
    ready_at: float | None = None  # when a waiting next key may be promoted


class SigningKeys(Protocol):
    """Signs, publishes and (where the strategy allows) rotates the auth server's keys."""

    def signing_key(self) -> jose.Key:
        """The key that signs now; raises :class:`SigningKeysError` when there is none."""
        ...

    def jwks(self) -> dict[str, Any]:
        """The public JWKS."""
        ...

    def key_set(self) -> jose.KeySet:
        """The published keys, for verifying our own tokens."""
        ...

    def managed_keys(self) -> list[ManagedKey]:
        """Every key in any state (for ``jotauth keys list``)."""
        ...

    async def start(self) -> None:
        """Load the keys (creating the first ones where the strategy can)."""
        ...

    async def load(self) -> None:
        """Load the keys without changing anything."""
        ...

    async def tick(self) -> None:
        """One automatic-rotation step."""
        ...

    async def rotate(self, *, force: bool = False) -> RotationResult:
        """A planned rotation (``jotauth keys rotate``)."""
        ...

    async def revoke(self, kid: str) -> RotationResult:
        """Unpublish ``kid`` at once (``jotauth keys revoke``)."""
        ...


@dataclass(frozen=True)
class _Published:
    """An immutable snapshot served on the hot path (signing, JWKS, verification)."""

    signing_key: jose.Key | None
    jwks: dict[str, Any]
    key_set: jose.KeySet


class PublishedRing:
    """The hot path both strategies share: a snapshot of a :class:`KeyRing`, memory only."""

    def __init__(self, algorithm: str) -> None:
        if algorithm == "HS256":
            # A shared secret cannot be published in a JWKS; an auth server whose tokens
            # are verified elsewhere needs an asymmetric algorithm (DESIGN §3).
            raise SigningKeysError("the auth server signs with an asymmetric algorithm, not HS256")
        self._ring = KeyRing()
        self._published = _Published(None, {"keys": []}, jose.KeySet())
        self._fingerprint: tuple[str | None, tuple[str, ...]] | None = None

    def signing_key(self) -> jose.Key:
        """The key that signs now (raises when there is none, e.g. right after a revoke)."""
        key = self._published.signing_key
        if key is None:
            raise SigningKeysError("no current signing key")
        return key

    def jwks(self) -> dict[str, Any]:
        """The public JWKS: next, current and still-needed retired keys."""
        return self._published.jwks

    def key_set(self) -> jose.KeySet:
        """The published keys as a :class:`KeySet`, for verifying our own tokens."""
        return self._published.key_set

    def managed_keys(self) -> list[ManagedKey]:
        """Every key of the ring in any state (for ``jotauth keys list``)."""
        return sorted(self._ring, key=lambda k: (k.created_at, k.kid))

    def _publish(self, ring: KeyRing) -> None:
        self._ring = ring
        current = ring.current()
        published = ring.published()
        fingerprint = (current.kid if current else None, tuple(sorted(k.kid for k in published)))
        if fingerprint == self._fingerprint:
            return  # unchanged: keep the snapshot (and the verifier built on it, with its cache)
        self._fingerprint = fingerprint
        self._published = _Published(
            signing_key=current.key if current else None,
            jwks=ring.jwks(),
            key_set=jose.KeySet(k.key.public_key() for k in published),
        )
