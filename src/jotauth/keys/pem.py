"""Signing keys in PEM files: generate, save with safe permissions, load."""

from __future__ import annotations

import os
from pathlib import Path

from ..jose import Algorithm, InvalidKey, Key


def generate_signing_key(alg: Algorithm, *, kid: str | None = None) -> Key:
    """A new private key for ``alg`` (RSA 2048, P-256, Ed25519, or a 32-byte HMAC secret)."""
    return Key.generate(alg, kid=kid)


def save_private_pem(key: Key, path: Path, *, password: bytes | None = None) -> None:
    """Write the PKCS#8 PEM of ``key`` to ``path``, readable by the owner only."""
    data = key.private_pem(password=password)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    fd = os.open(path, flags, 0o600)  # O_EXCL: never overwrite an existing key silently
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def load_pem_file(
    path: Path, alg: Algorithm, *, kid: str | None = None, password: bytes | None = None
) -> Key:
    """Load a private key, public key or certificate PEM for ``alg``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidKey(f"cannot read key file {path}: {exc.strerror}") from exc
    return Key.from_pem(data, alg, kid=kid, password=password)
