"""Access tokens for a client acting on its own behalf (``client_credentials``)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from jotauth import jose
from jotauth.accounts import AccessTokenPolicy, IssuedAccessToken


class ClientTokenIssuer:
    """Signs ``at+jwt`` tokens whose subject is a client (RFC 9068 §2.2: ``sub`` =
    ``client_id`` when no user is involved); they carry no ``sid`` and no roles."""

    def __init__(
        self,
        policy: AccessTokenPolicy,
        *,
        signing_key: Callable[[], jose.Key],
        clock: Callable[[], float],
    ) -> None:
        self._policy = policy
        self._sign = signing_key
        self._now = clock

    def issue(self, *, client_id: str, scope: tuple[str, ...]) -> IssuedAccessToken:
        """A signed token for ``client_id`` with ``scope``."""
        now = int(self._now())
        audience = self._policy.audience
        claims = {
            "iss": self._policy.issuer,
            "sub": client_id,
            "client_id": client_id,
            # One audience is a string, several an array (RFC 7519 §4.1.3), as for users.
            "aud": audience[0] if len(audience) == 1 else list(audience),
            "exp": now + self._policy.ttl,
            "iat": now,
            "jti": secrets.token_urlsafe(16),
            "scope": " ".join(sorted(set(scope))),
        }
        token = jose.encode(claims, self._sign(), typ="at+jwt")
        return IssuedAccessToken(
            token=token, expires_at=now + self._policy.ttl, expires_in=self._policy.ttl
        )
