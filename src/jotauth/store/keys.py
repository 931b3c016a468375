"""Signing keys at rest: state, timestamps, public JWK, and the private key sealed.

The private key (PEM bytes) is encrypted with AES-256-GCM under a key derived from the server
secret (see :mod:`jotauth.store.sealing`), with the ``kid`` as associated data, so several auth
server instances sharing the database share the keys (DESIGN §4) while a database dump alone
reveals none of them. The lifecycle rules live in :class:`jotauth.keys.KeyRing`; this module only
persists what the ring decides (the interface it implements is
:class:`jotauth.keys.repository.SigningKeyRepository`).
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import RowMapping

from jotauth.keys.repository import KEY_STATES, StoredKey, StoredKeyState
from jotauth.store.changes import announce_key_change
from jotauth.store.database import Store
from jotauth.store.errors import KeyNotFound
from jotauth.store.schema import signing_keys
from jotauth.store.sealing import Sealer

KeyState = StoredKeyState  # the store's name for the persisted states
__all__ = ["KEY_STATES", "KeyRepository", "KeyState", "StoredKey"]

_PURPOSE = b"jotauth signing-key encryption v1"


class KeyRepository:
    """Loads and saves signing keys; private keys are sealed with ``secret_key``.

    The store's implementation of :class:`jotauth.keys.SigningKeyRepository`.
    """

    def __init__(self, store: Store, *, secret_key: bytes, ring: str = "access") -> None:
        """``ring`` names the key ring this repository keeps: ``access`` (access tokens) or
        ``id_token`` (the RS256 ID-token keys beside non-RS256 access-token keys)."""
        self._store = store
        self._sealer = Sealer(secret_key, purpose=_PURPOSE)
        self._ring = ring

    async def list_keys(self) -> list[StoredKey]:
        """Every stored key, oldest first, private keys decrypted.

        Raises :class:`SealBroken` when a key was sealed under another secret key.
        """
        async with self._store.read() as conn:
            rows = (
                await conn.execute(
                    select(signing_keys)
                    .where(signing_keys.c.ring == self._ring)
                    .order_by(signing_keys.c.created_at, signing_keys.c.kid)
                )
            ).mappings()
            return [self._from_row(row) for row in rows]

    async def get_key(self, kid: str) -> StoredKey:
        """The key with this ``kid``; raises :class:`KeyNotFound`."""
        async with self._store.read() as conn:
            row = (
                (await conn.execute(select(signing_keys).where(signing_keys.c.kid == kid)))
                .mappings()
                .first()
            )
        if row is None:
            raise KeyNotFound()
        return self._from_row(row)

    async def save_key(self, key: StoredKey, *, expected_state: str | None = None) -> bool:
        """Insert a new key or update a stored key's state and timestamps.

        The private key of an existing row is never rewritten. With ``expected_state`` the update
        only happens when the stored state still is that one (compare-and-set, so two instances
        rotating at once cannot both promote a key); returns whether the row was written.
        """
        if key.state not in KEY_STATES:
            raise ValueError(f"unknown key state {key.state!r}")
        changes = {
            "state": str(key.state),
            "activated_at": key.activated_at,
            "retired_at": key.retired_at,
            "revoked_at": key.revoked_at,
            "not_after": key.not_after,
        }
        async with self._store.transaction() as conn:
            statement = update(signing_keys).where(signing_keys.c.kid == key.kid).values(changes)
            if expected_state is not None:
                statement = statement.where(signing_keys.c.state == str(expected_state))
            if (await conn.execute(statement)).rowcount == 1:
                await announce_key_change(conn)
                return True
            if expected_state is not None:
                return False
            nonce, sealed = self._sealer.seal(key.private_pem, associated_data=key.kid.encode())
            await conn.execute(
                insert(signing_keys).values(
                    kid=key.kid,
                    alg=key.alg,
                    ring=self._ring,
                    created_at=key.created_at,
                    public_jwk=dict(key.public_jwk),
                    private_key_nonce=nonce,
                    private_key_sealed=sealed,
                    **changes,
                )
            )
            await announce_key_change(conn)
            return True

    async def delete_key(self, kid: str) -> bool:
        """Remove a key for good (a retired key past its last token); returns whether it existed."""
        async with self._store.transaction() as conn:
            result = await conn.execute(delete(signing_keys).where(signing_keys.c.kid == kid))
            await announce_key_change(conn)
            return result.rowcount == 1

    def _from_row(self, row: RowMapping) -> StoredKey:
        pem = self._sealer.open(
            row["private_key_nonce"],
            row["private_key_sealed"],
            associated_data=row["kid"].encode(),
        )
        return StoredKey(
            kid=row["kid"],
            alg=row["alg"],
            state=row["state"],
            created_at=row["created_at"],
            public_jwk=row["public_jwk"],
            private_pem=pem,
            activated_at=row["activated_at"],
            retired_at=row["retired_at"],
            revoked_at=row["revoked_at"],
            not_after=row["not_after"],
        )
