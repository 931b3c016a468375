"""Minting and checking the server's own access tokens (RFC 9068 profile, DESIGN §3)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from jotauth import jose
from jotauth.sessions import SessionInfo
from jotauth.settings import Settings
from jotauth.users import User
from jotauth.verify import TokenVerifier


@dataclass(frozen=True, slots=True)
class AccessTokenPolicy:
    """What every access token of this server says about itself, and how it is checked."""

    issuer: str
    audience: tuple[str, ...]
    ttl: int
    leeway: int
    max_token_bytes: int
    algorithm: str
    verified_cache_size: int = 10_000

    @classmethod
    def from_settings(cls, settings: Settings) -> AccessTokenPolicy:
        """The policy the settings describe."""
        return cls(
            issuer=settings.issuer,
            audience=tuple(settings.audience),
            ttl=settings.access_token_ttl,
            leeway=settings.leeway,
            max_token_bytes=settings.max_token_bytes,
            algorithm=settings.algorithm,
            verified_cache_size=settings.verified_token_cache_size,
        )


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    """A freshly signed access token and when it expires (epoch seconds)."""

    token: str
    expires_at: int
    expires_in: int


class AccessTokenIssuer:
    """Signs access tokens with the current key of the server's key ring."""

    def __init__(
        self,
        policy: AccessTokenPolicy,
        *,
        signing_key: Callable[[], jose.Key],
        clock: Callable[[], float],
    ) -> None:
        self._policy = policy
        # A single audience is a string, several an array (RFC 7519 §4.1.3).
        self._audience: str | list[str] = (
            policy.audience[0] if len(policy.audience) == 1 else list(policy.audience)
        )
        self._signing_key = signing_key
        self._clock = clock

    def issue(
        self,
        *,
        user_id: str,
        session_id: str,
        roles: Iterable[str],
        scope: Iterable[str],
        client_id: str | None = None,
        amr: Sequence[str] = (),
        auth_time: float | None = None,
    ) -> IssuedAccessToken:
        """A signed ``at+jwt`` for ``user_id`` in ``session_id``; nothing personal in it.

        ``client_id`` names the OAuth client it was issued to (RFC 9068 §2.2); first-party
        sign-ins (``/api/auth/login``) have none. ``amr`` (RFC 8176) and ``auth_time`` (RFC
        9068 §2.2.1, OIDC Core §2) say how and when the session's user last authenticated,
        so a resource server can ask for a second factor or a recent sign-in (RFC 9470).
        """
        extra: dict[str, object] = {} if client_id is None else {"client_id": client_id}
        if amr:
            extra["amr"] = list(dict.fromkeys(amr))
        if auth_time is not None:
            extra["auth_time"] = int(auth_time)
        return self._sign(
            sub=user_id,
            sid=session_id,
            scope=" ".join(sorted(set(scope))),
            roles=sorted(set(roles)),
            **extra,
        )

    def issue_for_session(self, user: User, session: SessionInfo) -> IssuedAccessToken:
        """:meth:`issue` for ``user`` in ``session``: its roles and scope, and the session's
        ``amr`` and ``auth_time`` (a refresh keeps them; a re-authentication moves them)."""
        return self.issue(
            user_id=user.id,
            session_id=session.id,
            roles=user.roles,
            scope=user.scope,
            amr=session.amr,
            auth_time=session.authenticated_at,
        )

    def issue_for_client(self, *, client_id: str, scope: Iterable[str]) -> IssuedAccessToken:
        """A token for a client acting on its own behalf (``client_credentials``): RFC 9068
        §2.2 makes ``sub`` the ``client_id`` when no user is involved; no ``sid``, no roles."""
        return self._sign(sub=client_id, client_id=client_id, scope=" ".join(sorted(set(scope))))

    def _sign(self, *, sub: str, **claims: object) -> IssuedAccessToken:
        now = int(self._clock())
        expires_at = now + self._policy.ttl
        registered = {
            "iss": self._policy.issuer,
            "sub": sub,
            "aud": self._audience,
            "exp": expires_at,
            "iat": now,
            "jti": secrets.token_urlsafe(16),
        }
        token = jose.encode({**registered, **claims}, self._signing_key(), typ="at+jwt")
        return IssuedAccessToken(token=token, expires_at=expires_at, expires_in=self._policy.ttl)


class OwnTokenVerifier:
    """Verifies the server's own access tokens against its published key set.

    Wraps :class:`TokenVerifier` (the same policy resource servers apply) and rebuilds it
    whenever the key ring publishes a new key set, so a revoked key stops verifying at once.
    """

    def __init__(
        self,
        policy: AccessTokenPolicy,
        *,
        key_set: Callable[[], jose.KeySet],
        clock: Callable[[], float],
    ) -> None:
        self._policy = policy
        self._key_set = key_set
        self._clock = clock
        self._built_for: jose.KeySet | None = None
        self._verifier: TokenVerifier | None = None

    def verify(self, token: str) -> jose.Claims:
        """The claims of a valid token; raises :class:`jose.InvalidToken` otherwise."""
        return self._current().verify(token)

    def verify_or_none(self, token: str | None) -> jose.Claims | None:
        """The claims of ``token`` when it is present and valid, else None (no error)."""
        if not token:
            return None
        try:
            return self._current().verify(token)
        except jose.InvalidToken:
            return None

    def _current(self) -> TokenVerifier:
        key_set = self._key_set()
        if self._verifier is None or key_set is not self._built_for:
            algorithms = {key.alg for key in key_set} or {self._policy.algorithm}
            self._verifier = TokenVerifier(
                issuer=self._policy.issuer,
                audience=self._policy.audience,
                keys=key_set,
                algorithms=sorted(algorithms),
                leeway=self._policy.leeway,
                # DESIGN §11, RFC 8725 §3.11: the server's own endpoints take only its own
                # access tokens (typ at+jwt), never an ID token or another issuer's JWT.
                typ="at+jwt",
                max_token_bytes=self._policy.max_token_bytes,
                cache_size=self._policy.verified_cache_size,
                clock=self._clock,
            )
            self._built_for = key_set
        return self._verifier
