"""Minting access tokens (RFC 9068 profile, DESIGN §3)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from jotauth import jose
from jotauth.settings import Settings
from jotauth.verify import TokenVerifier


@dataclass(frozen=True)
class IssuedAccessToken:
    """A freshly signed access token and when it expires (epoch seconds)."""

    token: str
    expires_at: int
    expires_in: int


class AccessTokenIssuer:
    """Signs access tokens with the current key of the server's key ring."""

    def __init__(
        self,
        settings: Settings,
        *,
        signing_key: Callable[[], jose.Key],
        clock: Callable[[], float],
    ) -> None:
        self._issuer = settings.issuer
        # A single audience is a string, several an array (RFC 7519 §4.1.3).
        self._audience: str | list[str] = (
            settings.audience[0] if len(settings.audience) == 1 else list(settings.audience)
        )
        self._ttl = settings.access_token_ttl
        self._signing_key = signing_key
        self._clock = clock

    def issue(
        self,
        *,
        user_id: str,
        session_id: str,
        roles: Iterable[str],
        scope: Iterable[str],
    ) -> IssuedAccessToken:
        """A signed ``at+jwt`` for ``user_id`` in ``session_id``; nothing personal in it."""
        now = int(self._clock())
        expires_at = now + self._ttl
        claims = {
            "iss": self._issuer,
            "sub": user_id,
            "aud": self._audience,
            "exp": expires_at,
            "iat": now,
            "jti": secrets.token_urlsafe(16),
            "sid": session_id,
            "scope": " ".join(sorted(set(scope))),
            "roles": sorted(set(roles)),
        }
        token = jose.encode(claims, self._signing_key(), typ="at+jwt")
        return IssuedAccessToken(token=token, expires_at=expires_at, expires_in=self._ttl)


class OwnTokenVerifier:
    """Verifies the server's own access tokens against its published key set.

    Wraps :class:`TokenVerifier` (the same policy resource servers apply) and rebuilds it
    whenever the key ring publishes a new key set, so a revoked key stops verifying at once.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        key_set: Callable[[], jose.KeySet],
        clock: Callable[[], float],
    ) -> None:
        self._settings = settings
        self._key_set = key_set
        self._clock = clock
        self._built_for: jose.KeySet | None = None
        self._verifier: TokenVerifier | None = None

    def verify(self, token: str) -> jose.Claims:
        """The claims of a valid token; raises :class:`jose.InvalidToken` otherwise."""
        return self._current().verify(token)

    def _current(self) -> TokenVerifier:
        key_set = self._key_set()
        if self._verifier is None or key_set is not self._built_for:
            algorithms = {key.alg for key in key_set} or {self._settings.algorithm}
            self._verifier = TokenVerifier(
                issuer=self._settings.issuer,
                audience=self._settings.audience,
                keys=key_set,
                algorithms=sorted(algorithms),
                leeway=self._settings.leeway,
                max_token_bytes=self._settings.max_token_bytes,
                clock=self._clock,
            )
            self._built_for = key_set
        return self._verifier
