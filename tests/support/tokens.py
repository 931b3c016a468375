"""Access tokens for tests: minted with ``jotauth.jose`` or forged byte for byte.

``Mint`` signs valid tokens (any claim overridable, ``None`` drops it); ``forge`` and
``hs256_with_public_key`` build the hostile ones a real signer never would (``alg: none``,
RS256/HS256 confusion).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

from jotauth.jose import Key, encode


def access_claims(
    *, issuer: str, audience: str, now: int | None = None, **claims: Any
) -> dict[str, Any]:
    """The registered claims of an access token valid for 15 minutes from ``now`` (the wall
    clock when not given), with ``claims`` added or overriding them."""
    issued = int(time.time()) if now is None else now
    registered: dict[str, Any] = {
        "iss": issuer,
        "sub": "user-42",
        "aud": audience,
        "exp": issued + 900,
        "iat": issued,
    }
    return registered | claims


class Mint:
    """Mints access tokens for one issuer and audience, valid from now for five minutes."""

    def __init__(self, key: Key, *, issuer: str, audience: str) -> None:
        self.key = key
        self.issuer = issuer
        self.audience = audience

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """A full claim set; an override of ``None`` leaves that claim out."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "user-1",
            "aud": self.audience,
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            "sid": "session-1",
            "scope": "lessons:read",
            "roles": [],
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, *, key: Key | None = None, typ: str | None = "at+jwt", **overrides: Any) -> str:
        """A signed token (by ``key`` instead of the mint's own, when given)."""
        return encode(self.claims(**overrides), key or self.key, typ=typ)


def bearer(token: str) -> dict[str, str]:
    """Request headers presenting ``token`` as an RFC 6750 bearer credential."""
    return {"Authorization": f"Bearer {token}"}


def b64url(data: bytes) -> str:
    """Unpadded base64url, as in every JWS segment."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signing_input(header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"


def forge(header: Mapping[str, Any], claims: Mapping[str, Any], signature: bytes = b"") -> str:
    """A token with any header and signature (for alg:none and algorithm confusion)."""
    return f"{_signing_input(header, claims)}.{b64url(signature)}"


def hs256_with_public_key(rsa_key: Key, claims: Mapping[str, Any]) -> str:
    """The classic RS/HS confusion: HMAC-SHA256 keyed with the RSA public key's PEM."""
    signing_input = _signing_input({"alg": "HS256", "kid": rsa_key.kid, "typ": "at+jwt"}, claims)
    mac = hmac.new(rsa_key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"
