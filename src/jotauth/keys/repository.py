"""Where stored signing keys persist: the interface the store implements.

:mod:`jotauth.keys` decides (the lifecycle, rotation); the store only keeps what it decides.
The interface lives here so that ``keys`` never imports ``store``
(``jotauth.store.KeyRepository`` implements it, sealing the private keys at rest).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

# The states of KeyState (a StrEnum, whose members compare equal to these strings).
StoredKeyState = Literal["next", "current", "retired", "revoked"]
KEY_STATES: frozenset[str] = frozenset({"next", "current", "retired", "revoked"})


@dataclass(frozen=True, slots=True)
class StoredKey:
    """One signing key as persisted. Timestamps are POSIX seconds; ``None`` = not yet."""

    kid: str
    alg: str
    state: str  # one of KEY_STATES; a KeyState member works as is
    created_at: float
    public_jwk: Mapping[str, Any]
    private_pem: bytes = field(repr=False)
    activated_at: float | None = None
    retired_at: float | None = None
    revoked_at: float | None = None
    not_after: float | None = None


class SigningKeyRepository(Protocol):
    """Loads and saves signing keys shared by every auth-server instance."""

    async def list_keys(self) -> list[StoredKey]:
        """Every stored key, oldest first, private keys readable."""
        ...

    async def save_key(self, key: StoredKey, *, expected_state: str | None = None) -> bool:
        """Insert a key or update its state; with ``expected_state``, compare-and-set."""
        ...

    async def delete_key(self, kid: str) -> bool:
        """Remove a key for good; returns whether it existed."""
        ...
