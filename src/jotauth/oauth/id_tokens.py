"""OpenID Connect ID tokens (OIDC Core §2, §3.1.3.6) signed by the server's key ring."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from jotauth import jose

# ``at_hash`` uses the hash of the signing algorithm (OIDC Core §3.1.3.6).
_HASH_OF_ALG = {
    "RS256": hashlib.sha256,
    "PS256": hashlib.sha256,
    "ES256": hashlib.sha256,
    "HS256": hashlib.sha256,
    "EdDSA": hashlib.sha512,
}


def token_hash(value: str, alg: str) -> str:
    """Base64url of the left half of the hash of ``value`` (``at_hash``, ``c_hash``)."""
    digest = _HASH_OF_ALG.get(alg, hashlib.sha256)(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class IdTokenSubject:
    """Who and how: the claims of an ID token that describe the sign-in."""

    user_id: str
    client_id: str
    auth_time: float
    browser_session_id: str
    nonce: str | None
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    # RFC 8176 values of the browser's sign-in ("pwd", or "fed" through another provider).
    amr: tuple[str, ...] = ("pwd",)


class IdTokenIssuer:
    """Signs ID tokens for clients (``aud`` = client id, never a resource audience)."""

    def __init__(
        self,
        *,
        issuer: str,
        ttl: int,
        signing_key: Callable[[str], jose.Key],
        clock: Callable[[], float],
    ) -> None:
        """``signing_key(alg)``: the key signing ID tokens with ``alg`` now."""
        self._issuer = issuer
        self._ttl = ttl
        self._signing_key = signing_key
        self._clock = clock

    def issue(self, subject: IdTokenSubject, *, access_token: str, alg: str) -> str:
        """An ID token signed with ``alg`` (the client's registered algorithm, RS256 unless
        it asked otherwise) and bound to ``access_token`` by ``at_hash``."""
        key = self._signing_key(alg)
        now = int(self._clock())
        claims: dict[str, object] = {
            "iss": self._issuer,
            "sub": subject.user_id,
            "aud": subject.client_id,
            "azp": subject.client_id,
            "exp": now + self._ttl,
            "iat": now,
            "auth_time": int(subject.auth_time),
            "amr": list(subject.amr),
            "sid": subject.browser_session_id,
            "at_hash": token_hash(access_token, key.alg),
        }
        if subject.nonce is not None:
            claims["nonce"] = subject.nonce
        if subject.email is not None:
            claims["email"] = subject.email
            claims["email_verified"] = subject.email_verified
        if subject.name is not None:
            claims["name"] = subject.name
        # typ JWT, never at+jwt: an ID token must not pass as an access token (RFC 8725 §3.11).
        return jose.encode(claims, key, typ="JWT")
