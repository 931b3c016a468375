"""Step-up requirements: how, and how recently, the user of a token authenticated.

A valid token is not always enough: deleting an account may need a second factor (``amr``
containing ``mfa``, RFC 8176) and a recent sign-in (``auth_time``, OIDC Core §2). A
:class:`StepUp` says what a resource needs; every integration of the guard applies the same
check (the ASGI middleware by path prefix, the FastAPI dependencies, the Flask decorators)
and answers a failure with 403 ``insufficient_user_authentication`` and RFC 9470's challenge
(``max_age="N"`` when recency was asked for), telling the client to sign the user in again
rather than to refresh the token.

Built with :func:`require_amr` and :func:`require_recent_auth`, combined with ``&``::

    require_amr("mfa")                          # amr must contain "mfa"
    require_amr("mfa", "hwk")                   # ... "mfa" and "hwk" (all of them)
    require_amr("hwk", "swk", match="any")      # ... at least one of "hwk", "swk"
    require_recent_auth(max_age=300)            # auth_time at most 5 minutes ago
    require_amr("mfa") & require_recent_auth(max_age=300)

Fail closed: a token without ``amr`` or ``auth_time``, or with them in the wrong shape (``amr``
a string instead of an array, ``auth_time`` not a number), never meets a requirement on them.
Time is the verifier's clock with its leeway (the skew between the auth server's clock and
ours): an ``auth_time`` later than now plus the leeway is refused as well.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from jotauth.jose import Claims

from .errors import InsufficientUserAuthentication
from .paths import PathRules

if TYPE_CHECKING:
    from jotauth.verify import TokenVerifier

AmrMatch = Literal["all", "any"]
# As for exp/iat (jose.claims): beyond ±2**53 s no real date, and no float arithmetic.
_MAX_NUMERIC_DATE = 2**53


@dataclass(frozen=True, slots=True)
class StepUp:
    """What a resource needs of the token's authentication; ``a & b`` needs both.

    ``amr_all``: values ``amr`` must all contain; ``amr_any``: groups of which ``amr`` must
    contain at least one value each; ``max_age``: the most seconds since ``auth_time``.
    """

    amr_all: frozenset[str] = frozenset()
    amr_any: tuple[frozenset[str], ...] = ()
    max_age: int | None = None

    def __and__(self, other: StepUp) -> StepUp:
        if not isinstance(other, StepUp):
            return NotImplemented
        ages = [age for age in (self.max_age, other.max_age) if age is not None]
        return StepUp(
            self.amr_all | other.amr_all,
            tuple(dict.fromkeys(self.amr_any + other.amr_any)),
            min(ages) if ages else None,
        )

    def enforce(self, claims: Claims, verifier: TokenVerifier) -> None:
        """:meth:`check` at the time of ``verifier``'s clock, with its leeway."""
        self.check(claims, now=verifier.now(), leeway=verifier.leeway)

    def check(self, claims: Claims, *, now: float, leeway: float) -> None:
        """Raise :class:`InsufficientUserAuthentication` unless ``claims`` meet this."""
        raw = claims.raw
        if self.amr_all or self.amr_any:
            self._check_amr(raw)
        if self.max_age is not None:
            self._check_recency(raw, now, leeway)

    def _refuse(self, detail: str) -> InsufficientUserAuthentication:
        return InsufficientUserAuthentication(detail, max_age=self.max_age)

    def _check_amr(self, raw: Mapping[str, Any]) -> None:
        amr = raw.get("amr")
        # RFC 8176 / OIDC Core §2: a JSON array of strings. A bare string is refused, not
        # read as one value: a token that bends the format is no proof of anything.
        if type(amr) is not list or not all(type(value) is str for value in amr):
            raise self._refuse(
                "The access token does not say how the user signed in (no amr array)."
            )
        proved = frozenset(amr)
        if not self.amr_all <= proved:
            needed = ", ".join(sorted(self.amr_all))
            raise self._refuse(f"This resource needs a sign-in with {needed}.")
        for group in self.amr_any:
            if proved.isdisjoint(group):
                raise self._refuse(
                    f"This resource needs a sign-in with one of {', '.join(sorted(group))}."
                )

    def _check_recency(self, raw: Mapping[str, Any], now: float, leeway: float) -> None:
        auth_time = _numeric_date(raw.get("auth_time"))
        if auth_time is None:
            raise self._refuse(
                "The access token does not say when the user signed in (no auth_time)."
            )
        if auth_time > now + leeway:
            raise self._refuse("The access token's auth_time is in the future.")
        assert self.max_age is not None
        if now - auth_time > self.max_age + leeway:
            raise self._refuse(
                f"This resource needs a sign-in within the last {self.max_age} seconds."
            )


def _numeric_date(value: object) -> float | None:
    """An RFC 7519 NumericDate (a JSON number, as exp and iat are read), else None.

    bool is an int subclass and NaN/infinity fail every comparison: all refused, as are
    strings, however numeric they look.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if not -_MAX_NUMERIC_DATE <= value <= _MAX_NUMERIC_DATE:
        return None
    return float(value)


def _amr_values(values: tuple[str, ...]) -> frozenset[str]:
    if not values or not all(isinstance(v, str) and v and v == v.strip() for v in values):
        raise ValueError("require_amr needs amr values such as 'mfa' (non-empty strings)")
    return frozenset(values)


def require_amr(*values: str, match: AmrMatch = "all") -> StepUp:
    """The token's ``amr`` must contain every one of ``values`` (``match="any"``: at least
    one of them). RFC 8176 values: ``pwd``, ``otp``, ``hwk``, ``swk``, ``fed``, ``mfa``…"""
    needed = _amr_values(values)
    if match == "all":
        return StepUp(amr_all=needed)
    if match == "any":
        return StepUp(amr_any=(needed,))
    raise ValueError(f"match must be 'all' or 'any', not {match!r}")


def require_recent_auth(*, max_age: int) -> StepUp:
    """The user must have authenticated at most ``max_age`` seconds ago (``auth_time``)."""
    if type(max_age) is not int or max_age < 0:
        raise ValueError("max_age must be a whole number of seconds, 0 or more")
    return StepUp(max_age=max_age)


def combine(requirements: StepUp | Iterable[StepUp]) -> StepUp:
    """One :class:`StepUp` that needs everything ``requirements`` need."""
    if isinstance(requirements, StepUp):
        return requirements
    combined = StepUp()
    for requirement in requirements:
        if not isinstance(requirement, StepUp):
            raise TypeError(f"not a step-up requirement: {requirement!r}")
        combined &= requirement
    return combined


class StepUpPaths:
    """Step-up requirements by path prefix, for the ASGI middleware.

    Prefixes match like the middleware's protected prefixes, failing closed (``/ADMIN/x`` and
    ``//admin/x`` are under ``/admin``); a path under several prefixes needs all of theirs.
    """

    __slots__ = ("_rules",)

    def __init__(self, rules: Mapping[str, StepUp | Iterable[StepUp]]) -> None:
        self._rules = tuple((PathRules((prefix,)), combine(need)) for prefix, need in rules.items())

    def __bool__(self) -> bool:
        return bool(self._rules)

    def for_path(self, path: str) -> StepUp | None:
        """What a request for ``path`` needs, or None when no prefix covers it."""
        found: StepUp | None = None
        for prefix, need in self._rules:
            if prefix.protects(path):
                found = need if found is None else found & need
        return found
