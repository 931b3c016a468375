"""Who a verified request is, the way Starlette expects it (``starlette.authentication``).

The guard sets ``scope["auth"]`` to an ``AuthCredentials`` with the token's scopes and
``scope["user"]`` to a :class:`TokenUser`, a Starlette ``BaseUser``; so ``request.auth.scopes``,
``request.user.is_authenticated`` and Starlette's own ``@requires("scope")`` work behind the
middleware. The guard is pure ASGI and Starlette optional: without it, stand-ins with the
same attributes are used.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from jotauth.jose import Claims

if TYPE_CHECKING:
    from starlette.authentication import AuthCredentials, BaseUser

    from jotauth.verify import TokenVerifier
else:
    try:
        from starlette.authentication import AuthCredentials, BaseUser
    except ImportError:  # pragma: no cover - exercised only without Starlette installed
        from ._starlette_free import AuthCredentials, BaseUser

__all__ = ["AuthCredentials", "TokenUser", "claims_of", "set_identity"]


class TokenUser(BaseUser):
    """The user of a verified access token: a Starlette ``BaseUser`` that carries the
    :class:`~jotauth.jose.Claims` (``.claims``) and reads like them (``.sub``, ``.scope``, …)."""

    __slots__ = ("claims", "verifier")

    def __init__(self, claims: Claims, verifier: TokenVerifier | None = None) -> None:
        self.claims = claims
        # The verifier that accepted the token: step-up checks behind the middleware
        # (``require_recent_auth``) use its clock and leeway.
        self.verifier = verifier

    @property
    def is_authenticated(self) -> bool:
        """Always true: the guard only builds one from a verified token."""
        return True

    @property
    def display_name(self) -> str:
        """The token's subject (the only name an access token carries, DESIGN §3)."""
        return self.claims.sub

    @property
    def identity(self) -> str:
        """The token's subject: the user id."""
        return self.claims.sub

    # The claims themselves, so code that read ``request.user.sub`` when the user *was* the
    # Claims keeps working.
    @property
    def sub(self) -> str:
        """``sub``: the user id."""
        return self.claims.sub

    @property
    def iss(self) -> str:
        """``iss``."""
        return self.claims.iss

    @property
    def aud(self) -> tuple[str, ...]:
        """``aud``, always a tuple."""
        return self.claims.aud

    @property
    def exp(self) -> float:
        """``exp``."""
        return self.claims.exp

    @property
    def iat(self) -> float | None:
        """``iat``."""
        return self.claims.iat

    @property
    def nbf(self) -> float | None:
        """``nbf``."""
        return self.claims.nbf

    @property
    def jti(self) -> str | None:
        """``jti``."""
        return self.claims.jti

    @property
    def sid(self) -> str | None:
        """``sid``: the session id."""
        return self.claims.sid

    @property
    def scope(self) -> frozenset[str]:
        """The granted scopes."""
        return self.claims.scope

    @property
    def roles(self) -> frozenset[str]:
        """The roles."""
        return self.claims.roles

    @property
    def raw(self) -> Mapping[str, Any]:
        """Every claim, read-only."""
        return self.claims.raw

    def has_scopes(self, *scopes: str) -> bool:
        """Whether every one of ``scopes`` was granted."""
        return self.claims.has_scopes(*scopes)

    def has_roles(self, *roles: str) -> bool:
        """Whether the subject holds every one of ``roles``."""
        return self.claims.has_roles(*roles)

    def __repr__(self) -> str:
        return f"TokenUser(sub={self.claims.sub!r})"


def set_identity(
    scope: MutableMapping[str, Any], claims: Claims, verifier: TokenVerifier | None = None
) -> TokenUser:
    """Put the verified ``claims`` into the ASGI scope: ``scope["user"]`` (``request.user``)
    and ``request.state.user`` get a :class:`TokenUser`, ``scope["auth"]`` its scopes."""
    user = TokenUser(claims, verifier)
    scope["user"] = user
    scope["auth"] = AuthCredentials(sorted(claims.scope))
    state = scope.get("state")
    if state is None:
        scope["state"] = {"user": user}
    else:
        # uvicorn gives each request a shallow copy of the lifespan state: ours to change.
        state["user"] = user
    return user


def claims_of(scope: Mapping[str, Any]) -> Claims | None:
    """The claims the guard verified for this scope, or None."""
    user = scope.get("user")
    return user.claims if isinstance(user, TokenUser) else None
