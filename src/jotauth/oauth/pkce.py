"""PKCE (RFC 7636) with ``S256`` only: OAuth 2.1 requires it for every client."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

# RFC 7636 §4.1: 43-128 characters of [A-Z a-z 0-9 - . _ ~]; a challenge (§4.2) is the
# unpadded base64url of a SHA-256: exactly 43 characters.
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


def is_s256_challenge(challenge: str) -> bool:
    """Whether ``challenge`` has the shape of an S256 code challenge."""
    return bool(_CHALLENGE.fullmatch(challenge))


def s256_challenge(verifier: str) -> str:
    """``BASE64URL(SHA256(ASCII(code_verifier)))`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verifier_matches(verifier: str | None, challenge: str) -> bool:
    """Whether ``verifier`` is well formed and hashes to ``challenge`` (constant time)."""
    if not verifier or not _VERIFIER.fullmatch(verifier):
        return False
    return hmac.compare_digest(s256_challenge(verifier), challenge)
