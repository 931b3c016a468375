"""JWT claims checks (RFC 7519 §4.1, RFC 9068) and the typed :class:`Claims` they produce."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple, TypeAlias

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
# The header types a resource server accepts by default: RFC 9068's ``at+jwt`` and the
# ``JWT`` that Keycloak, Auth0 (its default profile) and Entra ID put in access tokens.
# ``typ="at+jwt"`` alone is RFC 9068's strict mode (DESIGN §7, §11).
DEFAULT_ACCESS_TOKEN_TYPES = ("at+jwt", "JWT")
# What ``typ=`` accepts: one media type, a set of them (``None`` in the set admits a token
# with no ``typ`` header, as Okta and Cognito send), or ``None`` for no check at all.
TokenTypes: TypeAlias = str | Iterable[str | None] | None
# Where the roles are: a claim name, a dotted path into nested objects
# (``realm_access.roles``), or an explicit sequence of names. A name containing ``://`` is a
# collision-resistant URI claim name (RFC 7519 §4.2, Auth0's namespaced claims) and is never
# split at its dots.
ClaimPath: TypeAlias = str | Sequence[str]
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
    azp: str | None = None  # OIDC Core §2: the authorised party (the client the token went to)

    def has_scopes(self, *scopes: str) -> bool:
        """Whether every one of ``scopes`` was granted."""
        return self.scope.issuperset(scopes)

    def has_roles(self, *roles: str) -> bool:
        """Whether the subject holds every one of ``roles``."""
        return self.roles.issuperset(roles)


_new_claims = tuple.__new__


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


def _media_type(value: str) -> str:
    return value.lower().removeprefix("application/")


def typ_matches(header_typ: object, expected: str) -> bool:
    """RFC 9068 §4 / RFC 8725 §3.11: compare media types case-insensitively, with or
    without the ``application/`` prefix."""
    if not isinstance(header_typ, str):
        return False
    return _media_type(header_typ) == _media_type(expected)


def claim_path(path: ClaimPath) -> tuple[str, ...]:
    """The claim names leading to a nested claim (see :data:`ClaimPath`)."""
    if isinstance(path, str):
        names = (path,) if "://" in path else tuple(path.split("."))
    else:
        names = tuple(path)
    if not names or not all(isinstance(name, str) and name for name in names):
        raise ValueError(f"invalid claim path {path!r}")
    return names


def _scope_value(claims: Mapping[str, Any]) -> tuple[object, str]:
    """The granted scopes as sent: RFC 9068's ``scope`` (space-separated), or ``scp`` (a
    string, as Entra ID sends, or an array, as Okta sends). Both at once is ambiguous."""
    scope, scp = claims.get("scope"), claims.get("scp")
    if scp is None:
        return scope, "scope"
    if scope is not None:
        raise ClaimsError("the token carries both scope and scp", claim="scp")
    return scp, "scp"


class ClaimsPolicy:
    """What a verifier requires of a token's claims, checked explicitly one by one."""

    __slots__ = (
        "_required_set",
        "_sets",
        "_typ_missing_ok",
        "_types",
        "audience_claim",
        "audiences",
        "authorized_parties",
        "expected",
        "issuer",
        "leeway",
        "required",
        "roles_path",
        "typ",
    )

    def __init__(
        self,
        *,
        issuer: str,
        audience: str | Iterable[str],
        leeway: float = 30,
        required: Iterable[str] = DEFAULT_REQUIRED_CLAIMS,
        typ: TokenTypes = "at+jwt",
        roles_claim: ClaimPath = "roles",
        audience_claim: str = "aud",
        authorized_parties: Iterable[str] | None = None,
        expected_claims: Mapping[str, str] | None = None,
    ) -> None:
        """``typ``: see :data:`TokenTypes`; ``roles_claim``: see :data:`ClaimPath`.

        ``audience_claim`` names the claim checked against ``audience`` (``client_id`` for
        Cognito access tokens, which carry no ``aud``); it replaces ``aud`` in ``required``.
        ``authorized_parties``, when given, is the allowlist for ``azp`` (then required).
        ``expected_claims`` are string claims that must have exactly these values, which is
        how an IdP's ID token is told from its access token when both share a ``typ``
        (Cognito ``token_use: access``, Keycloak ``typ: Bearer``).
        """
        if not issuer:
            raise ValueError("an issuer is required: tokens from anyone must not be accepted")
        audiences = (audience,) if isinstance(audience, str) else tuple(audience)
        if not audiences or not all(audiences):
            raise ValueError("at least one non-empty audience is required")
        if leeway < 0:
            raise ValueError("leeway cannot be negative")
        if not audience_claim:
            raise ValueError("audience_claim must name a claim")
        self.issuer = issuer
        self.audiences = frozenset(audiences)
        self.audience_claim = audience_claim
        self.leeway = leeway
        required = (audience_claim if name == "aud" else name for name in required)
        self.required = tuple(dict.fromkeys(("exp", *required)))  # exp is never optional
        self._required_set = frozenset(self.required)
        # One table per claim: the same string means one scope per word but one role.
        self._sets: dict[str, dict[str | tuple[str, ...], frozenset[str]]] = {
            "scope": {},
            "roles": {},
        }
        self.typ = typ
        self._types, self._typ_missing_ok = _type_set(typ)
        self.roles_path = claim_path(roles_claim)
        parties = None if authorized_parties is None else frozenset(authorized_parties)
        if parties is not None and (not parties or not all(parties)):
            raise ValueError("authorized_parties must list at least one non-empty client id")
        self.authorized_parties = parties
        self.expected = tuple((expected_claims or {}).items())
        if not all(isinstance(value, str) for _, value in self.expected):
            raise ValueError("expected_claims values must be strings")

    def _interned_set(self, value: object, name: str, *, claim: str = "") -> frozenset[str]:
        # Scope strings and role lists repeat across tokens: sharing one frozenset per
        # distinct value keeps cached claims small and skips re-splitting (bounded).
        if value is None:
            return _EMPTY
        cache_key: str | tuple[str, ...]
        sets = self._sets[name]
        if type(value) is str:
            cache_key = value
        elif type(value) is list:
            cache_key = tuple(value)
            # Only all-string keys are ever stored, and a JSON value equal to a str is that
            # str: a hit needs no check of the items.
            try:
                interned = sets.get(cache_key)
            except TypeError:  # an unhashable item (a nested array or object): no role
                interned = None
            if interned is not None:
                return interned
            if not all(type(item) is str for item in value):
                return _string_set(value, claim or self._claim_name(name), split=name == "scope")
        else:
            # raises for bad types, naming the claim as sent (scp for scope, the roles path)
            return _string_set(value, claim or self._claim_name(name), split=name == "scope")
        interned = sets.get(cache_key)
        if interned is None:
            interned = _string_set(value, name, split=name == "scope")
            if len(sets) >= _INTERNED_SETS_LIMIT:
                sets.clear()
            sets[cache_key] = interned
        return interned

    def _claim_name(self, name: str) -> str:
        return ".".join(self.roles_path) if name == "roles" else name

    def check_type(self, header: Mapping[str, Any]) -> None:
        """Reject a token of another type (an ID token replayed as an access token)."""
        types = self._types
        if types is None:
            return
        value = header.get("typ")
        if value is None and self._typ_missing_ok:
            return
        if not isinstance(value, str) or _media_type(value) not in types:
            raise BadTokenType(f"expected typ {_describe_types(self.typ)}")

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
        aud = get(self.audience_claim)
        if type(aud) is str:
            if aud not in self.audiences:
                raise BadAudience()
            audiences: tuple[str, ...] = (aud,)
        else:
            audiences = tuple(_string_set(aud, self.audience_claim, split=False))
            if self.audiences.isdisjoint(audiences):
                raise BadAudience()
        sub = get("sub", "")
        if type(sub) is not str:
            raise ClaimsError("sub must be a string", claim="sub")
        jti, sid, azp = get("jti"), get("sid"), get("azp")
        if (
            (jti is not None and type(jti) is not str)
            or (sid is not None and type(sid) is not str)
            or (azp is not None and type(azp) is not str)
        ):
            name = next(n for n in ("jti", "sid", "azp") if type(get(n)) not in (str, type(None)))
            raise ClaimsError(f"{name} must be a string", claim=name)
        if self.authorized_parties is not None and azp not in self.authorized_parties:
            raise ClaimsError("the token was issued to another client (azp)", claim="azp")
        for name, expected in self.expected:
            if get(name) != expected:
                raise ClaimsError(f"{name} must be {expected!r}", claim=name)
        # The common shapes inline (no scp; roles under one plain name), the rest as ever.
        if "scp" in claims:
            scope, scope_claim = _scope_value(claims)
        else:
            scope, scope_claim = get("scope"), "scope"
        roles_path = self.roles_path
        roles = get(roles_path[0]) if len(roles_path) == 1 else self._roles_value(claims)
        # tuple.__new__ directly: the same Claims, without the generated __new__'s extra
        # Python frame (a verification's claims are built once, then cached).
        return _new_claims(
            Claims,
            (
                sub,
                self.issuer,
                audiences,
                exp,
                iat,
                nbf,
                jti,
                sid,
                self._interned_set(scope, "scope", claim=scope_claim),
                self._interned_set(roles, "roles"),
                MappingProxyType(claims),
                azp,
            ),
        )

    def _roles_value(self, claims: Mapping[str, Any]) -> object:
        path = self.roles_path
        value: object = claims.get(path[0])
        for name in path[1:]:
            if value is None:
                return None
            if type(value) is not dict:
                raise ClaimsError(f"{'.'.join(path)} must lead through JSON objects", claim=path[0])
            value = value.get(name)
        return value


def _type_set(typ: TokenTypes) -> tuple[frozenset[str] | None, bool]:
    if typ is None:
        return None, True
    values = (typ,) if isinstance(typ, str) else tuple(typ)
    names = frozenset(_media_type(value) for value in values if value is not None)
    if not names and None not in values:
        raise ValueError("typ must name at least one type (typ=None turns the check off)")
    if not all(names):
        raise ValueError("an empty typ is not a media type")
    return names, None in values


def _describe_types(typ: TokenTypes) -> str:
    if isinstance(typ, str) or typ is None:
        return repr(typ)
    return " or ".join("no typ" if value is None else repr(value) for value in typ)
