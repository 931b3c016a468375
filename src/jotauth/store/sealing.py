"""Authenticated encryption of secrets at rest: AES-256-GCM under an HKDF-derived key.

The server secret (``JOTAUTH_SECRET_KEY``) is never used directly as a cipher key: HKDF-SHA256
(RFC 5869) derives one independent 256-bit key per *purpose*, so the key that protects signing
keys cannot decrypt refresh-token successors and vice versa. Each value is sealed with a fresh
96-bit random nonce (NIST SP 800-38D §8.2.2) and bound to its row through the associated data
(for example the ``kid``), so a ciphertext copied onto another row fails to open.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jotauth.store.errors import SealBroken

_SALT = b"jotauth/at-rest/v1"
NONCE_BYTES = 12


class Sealer:
    """Seals and opens byte strings for one purpose (``b"signing-keys"``, ...)."""

    def __init__(self, secret: bytes, *, purpose: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the secret key must be at least 16 bytes")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose).derive(
            secret
        )
        self._aead = AESGCM(derived)

    def seal(self, plaintext: bytes, *, associated_data: bytes) -> tuple[bytes, bytes]:
        """Encrypt ``plaintext``; returns ``(nonce, ciphertext_with_tag)``."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce, self._aead.encrypt(nonce, plaintext, associated_data)

    def open(self, nonce: bytes, ciphertext: bytes, *, associated_data: bytes) -> bytes:
        """Decrypt and authenticate; raises :class:`SealBroken` on any mismatch."""
        try:
            return self._aead.decrypt(nonce, ciphertext, associated_data)
        except (InvalidTag, ValueError) as exc:
            raise SealBroken() from exc
