"""Opaque refresh tokens: 256 random bits, stored only as their SHA-256 (DESIGN §6).

A fast unsalted hash is enough here (unlike passwords): the input has 256 bits of entropy,
so the digest cannot be reversed by guessing (RFC 6819 §5.1.4.1.3, "store hashes").
"""

from __future__ import annotations

import hashlib
import re
import secrets

REFRESH_TOKEN_BYTES = 32
# token_urlsafe(32) is 43 base64url characters without padding.
_WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{43}")


def new_refresh_token() -> str:
    """A fresh refresh token from the OS CSPRNG."""
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def hash_refresh_token(token: str) -> str:
    """The lookup key stored instead of the token (hex SHA-256)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def is_well_formed(token: object) -> bool:
    """Whether ``token`` could be one of ours (checked before any database work)."""
    return isinstance(token, str) and _WELL_FORMED.fullmatch(token) is not None
