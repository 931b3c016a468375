"""JWT claims checks (RFC 7519 §4.1, RFC 9068) and the typed :class:`Claims` they produce."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from .errors import (
    BadAudience,
    BadIssuer,
    BadTokenType,
    ClaimsError,
    IssuedInFuture,
    MissingClaim,
    TokenExpired,
    TokenNotYetValid,
)

DEFAULT_REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat")
# NumericDates beyond ±2**53 seconds (285 million years) are refused: they are no real
# dates, and ints too large for a float overflow in arithmetic with a float leeway or clock.
_MAX_NUMERIC_DATE = 2**53
_EMPTY: frozenset[str] = frozenset()
_INTERNED_SETS_LIMIT = 1024


class Claims(NamedTuple):
    """The verified claims of an access token; ``raw`` holds every claim as sent (read-only).

    Immutable, since one instance is shared by every request that presents the same token.
    """

    sub: str
    iss: str
    aud: tuple[str, ...]
    exp: float
    iat: float | None
    nbf: float | None
    jti: str | None
    sid: str | None
    scope: frozenset[str]
    roles: frozenset[str]
    raw: Mapping[str, Any]

    def has_scopes(self, *scopes: str) -> bool:
        """Whether every one of ``scopes`` was granted."""
        return self.scope.issuperset(scopes)

    def has_roles(self, *roles: str) -> bool:
        """Whether the subject holds every one of ``roles``."""
        return self.roles.issuperset(roles)


def _numeric_date(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        if name == "exp":  # present (required) but null: no expiry is not an option
            raise ClaimsError("exp must be a NumericDate", claim="exp")
        return None
    if type(value) is int and -_MAX_NUMERIC_DATE <= value <= _MAX_NUMERIC_DATE:
        return value
    # bool is an int subclass; NaN/inf would make every comparison false (the range check
    # below is false for both, and never converts a huge int to float).
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not -_MAX_NUMERIC_DATE <= value <= _MAX_NUMERIC_DATE
    ):
        raise ClaimsError(f"{name} must be a NumericDate", claim=name)
    return float(value)


def _string_set(value: object, name: str, *, split: bool) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset(value.split()) if split else frozenset((value,))
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    raise ClaimsError(f"{name} must be a string or an array of strings", claim=name)


def typ_matches(header_typ: object, expected: str) -> bool:
    """RFC 9068 §4 / RFC 8725 §3.11: compare media types case-insensitively, with or
    without the ``application/`` prefix."""
    if not isinstance(header_typ, str):
        return False
    value = header_typ.lower()
    value = value.removeprefix("application/")
    return value == expected.lower().removeprefix("application/")


class ClaimsPolicy:
    """What a verifier requires of a token's claims, checked explicitly one by one."""

    __slots__ = ("_required_set", "_sets", "audiences", "issuer", "leeway", "required", "typ")

    def __init__(
        self,
        *,
        issuer: str,
        audience: str | Iterable[str],
        leeway: float = 30,
        required: Iterable[str] = DEFAULT_REQUIRED_CLAIMS,
        typ: str | None = "at+jwt",
    ) -> None:
        if not issuer:
            raise ValueError("an issuer is required: tokens from anyone must not be accepted")
        audiences = (audience,) if isinstance(audience, str) else tuple(audience)
        if not audiences or not all(audiences):
            raise ValueError("at least one non-empty audience is required")
        if leeway < 0:
            raise ValueError("leeway cannot be negative")
        self.issuer = issuer
        self.audiences = frozenset(audiences)
        self.leeway = leeway
        self.required = tuple(dict.fromkeys(("exp", *required)))  # exp is never optional
        self._required_set = frozenset(self.required)
        # One table per claim: the same string means one scope per word but one role.
        self._sets: dict[str, dict[str | tuple[str, ...], frozenset[str]]] = {
            "scope": {},
            "roles": {},
        }
        self.typ = typ

    def _interned_set(self, value: object, name: str) -> frozenset[str]:
        # Scope strings and role lists repeat across tokens: sharing one frozenset per
        # distinct value keeps cached claims small and skips re-splitting (bounded).
        if value is None:
            return _EMPTY
        cache_key: str | tuple[str, ...]
        if type(value) is str:
            cache_key = value
        elif type(value) is list and all(type(item) is str for item in value):
            cache_key = tuple(value)
        else:
            return _string_set(value, name, split=name == "scope")  # raises for bad types
        sets = self._sets[name]
        interned = sets.get(cache_key)
        if interned is None:
            interned = _string_set(value, name, split=name == "scope")
            if len(sets) >= _INTERNED_SETS_LIMIT:
                sets.clear()
            sets[cache_key] = interned
        return interned

    def check_type(self, header: Mapping[str, Any]) -> None:
        """Reject a token of another type (an ID token replayed as an access token)."""
        if self.typ is not None and not typ_matches(header.get("typ"), self.typ):
            raise BadTokenType(f"expected typ {self.typ!r}")

    def check(self, claims: dict[str, Any], now: float) -> Claims:
        """Validate ``claims`` at time ``now``; return them typed or raise a ClaimsError."""
        if not self._required_set <= claims.keys():
            missing = next(name for name in self.required if name not in claims)
            raise MissingClaim(f"the {missing} claim is required", claim=missing)
        get = claims.get
        exp = claims["exp"]
        if type(exp) is not int or not -_MAX_NUMERIC_DATE <= exp <= _MAX_NUMERIC_DATE:
            exp = _numeric_date(claims, "exp")
        nbf = get("nbf")
        if nbf is not None and (
            type(nbf) is not int or not -_MAX_NUMERIC_DATE <= nbf <= _MAX_NUMERIC_DATE
        ):
            nbf = _numeric_date(claims, "nbf")
        iat = get("iat")
        if iat is not None and (
            type(iat) is not int or not -_MAX_NUMERIC_DATE <= iat <= _MAX_NUMERIC_DATE
        ):
            iat = _numeric_date(claims, "iat")
        leeway = self.leeway
        # RFC 7519 §4.1.4: the current time must be *before* exp, so exp itself is expired.
        if now >= exp + leeway:
            raise TokenExpired()
        if nbf is not None and nbf > now + leeway:
            raise TokenNotYetValid()
        if iat is not None and iat > now + leeway:
            raise IssuedInFuture()
        if get("iss") != self.issuer:
            raise BadIssuer()
        aud = get("aud")
        if type(aud) is str:
            if aud not in self.audiences:
                raise BadAudience()
            audiences: tuple[str, ...] = (aud,)
        else:
            audiences = tuple(_string_set(aud, "aud", split=False))
            if self.audiences.isdisjoint(audiences):
                raise BadAudience()
        sub = get("sub", "")
        if type(sub) is not str:
            raise ClaimsError("sub must be a string", claim="sub")
        jti, sid, scope, roles = get("jti"), get("sid"), get("scope"), get("roles")
        if (jti is not None and type(jti) is not str) or (sid is not None and type(sid) is not str):
            bad = "jti" if jti is not None and type(jti) is not str else "sid"
            raise ClaimsError("jti and sid must be strings", claim=bad)
        return Claims(
            sub,
            self.issuer,
            audiences,
            exp,
            iat,
            nbf,
            jti,
            sid,
            self._interned_set(scope, "scope"),
            self._interned_set(roles, "roles"),
            MappingProxyType(claims),
        )
