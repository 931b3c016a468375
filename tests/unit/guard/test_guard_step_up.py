"""Step-up requirements on verified claims: amr all-of / any-of, auth_time recency with the
verifier's clock and leeway, and the hostile shapes of both claims (always refused)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from jotauth.guard import InsufficientUserAuthentication, StepUp, require_amr, require_recent_auth
from jotauth.guard.step_up import StepUpPaths, combine
from jotauth.jose import Claims, Key, KeySet, encode
from jotauth.verify import TokenVerifier
from tests.support.clock import SettableClock

KEY = Key.generate("ES256", kid="step-up")
NOW = 1_700_000_000


def verifier(clock: SettableClock, leeway: float = 30) -> TokenVerifier:
    return TokenVerifier(
        issuer="iss",
        audience="aud",
        keys=KeySet([KEY.public_key()]),
        algorithms=("ES256",),
        clock=clock,
        leeway=leeway,
    )


def claims(clock: SettableClock | None = None, **extra: Any) -> Claims:
    """Claims as the verifier hands them over: a real signed token, verified."""
    clock = clock or SettableClock(NOW)
    payload = {"iss": "iss", "sub": "alice", "aud": "aud", "iat": NOW, "exp": NOW + 300}
    payload.update(extra)
    return verifier(clock).verify(encode(payload, KEY))


def refused(need: StepUp, found: Claims, clock: SettableClock | None = None) -> str:
    with pytest.raises(InsufficientUserAuthentication) as caught:
        need.enforce(found, verifier(clock or SettableClock(NOW)))
    assert caught.value.code == "insufficient_user_authentication"
    return caught.value.detail


def passes(need: StepUp, found: Claims, clock: SettableClock | None = None) -> None:
    need.enforce(found, verifier(clock or SettableClock(NOW)))


# --- amr ---------------------------------------------------------------------------------------


def test_mfa_in_amr_meets_require_amr_mfa():
    passes(require_amr("mfa"), claims(amr=["pwd", "otp", "mfa"]))


def test_all_of_needs_every_value():
    need = require_amr("mfa", "hwk")
    passes(need, claims(amr=["hwk", "mfa"]))
    assert "hwk, mfa" in refused(need, claims(amr=["otp", "mfa"]))


def test_any_of_needs_one_value():
    need = require_amr("hwk", "swk", match="any")
    passes(need, claims(amr=["swk", "mfa"]))
    passes(need, claims(amr=["hwk"]))
    assert "one of hwk, swk" in refused(need, claims(amr=["pwd", "otp", "mfa"]))


def test_password_only_does_not_meet_mfa():
    assert "mfa" in refused(require_amr("mfa"), claims(amr=["pwd"]))


@pytest.mark.parametrize(
    "amr",
    [
        "mfa",  # a string instead of an array: never read as one value
        "pwd mfa",
        ["mfa", 1],
        [["mfa"]],
        {"mfa": True},
        True,
        None,
        [],
    ],
)
def test_amr_of_the_wrong_shape_or_missing_never_passes(amr):
    found = claims() if amr is None else claims(amr=amr)
    refused(require_amr("mfa"), found)
    refused(require_amr("mfa", "hwk", match="any"), found)


def test_amr_errors_carry_no_max_age_unless_recency_is_also_needed():
    alone = InsufficientUserAuthentication
    with pytest.raises(alone) as caught:
        require_amr("mfa").enforce(claims(amr=["pwd"]), verifier(SettableClock(NOW)))
    assert caught.value.max_age is None
    with pytest.raises(alone) as both:
        (require_amr("mfa") & require_recent_auth(max_age=60)).enforce(
            claims(amr=["pwd"], auth_time=NOW), verifier(SettableClock(NOW))
        )
    assert both.value.max_age == 60  # the client learns everything it must re-do at once


# --- auth_time ---------------------------------------------------------------------------------


def test_recent_auth_within_max_age_passes_and_too_old_is_refused():
    need = require_recent_auth(max_age=300)
    passes(need, claims(auth_time=NOW - 300))
    # 30 s leeway: still fine at 330 s, refused after that.
    passes(need, claims(auth_time=NOW - 330))
    detail = refused(need, claims(auth_time=NOW - 331))
    assert "300 seconds" in detail


def test_recency_uses_the_verifiers_clock_not_the_wall_clock():
    need = require_recent_auth(max_age=60)
    token_claims = claims(auth_time=NOW)
    later = SettableClock(NOW + 60)
    passes(need, token_claims, later)
    later.now = NOW + 91  # beyond max_age + leeway
    refused(need, token_claims, later)


def test_leeway_zero_is_exact():
    need = require_recent_auth(max_age=10)
    strict = verifier(SettableClock(NOW + 11), leeway=0)
    found = claims(auth_time=NOW)
    with pytest.raises(InsufficientUserAuthentication):
        need.enforce(found, strict)
    need.enforce(found, verifier(SettableClock(NOW + 10), leeway=0))


def test_auth_time_in_the_future_is_refused_beyond_the_leeway():
    need = require_recent_auth(max_age=300)
    passes(need, claims(auth_time=NOW + 30))  # clock skew within the leeway
    assert "future" in refused(need, claims(auth_time=NOW + 31))
    assert "future" in refused(need, claims(auth_time=NOW + 10**9))


@pytest.mark.parametrize(
    "auth_time",
    [str(NOW), "now", True, False, [NOW], {"t": NOW}, 1e300, -1e300, 2**60],
)
def test_auth_time_that_is_no_numeric_date_never_passes(auth_time):
    refused(require_recent_auth(max_age=10**9), claims(auth_time=auth_time))


@pytest.mark.parametrize("auth_time", [math.nan, math.inf, -math.inf])
def test_non_finite_auth_time_never_passes(auth_time):
    # The token parser already refuses NaN and Infinity; claims built another way too.
    found = claims()
    found = found._replace(raw={**found.raw, "auth_time": auth_time})
    refused(require_recent_auth(max_age=10**9), found)


def test_missing_auth_time_never_passes_and_the_error_says_max_age():
    with pytest.raises(InsufficientUserAuthentication) as caught:
        require_recent_auth(max_age=600).enforce(claims(), verifier(SettableClock(NOW)))
    assert caught.value.max_age == 600
    assert "auth_time" in caught.value.detail


def test_a_fractional_auth_time_is_a_numeric_date_like_exp():
    # RFC 7519 §2: NumericDate may be non-integer; read as exp and iat are.
    passes(require_recent_auth(max_age=60), claims(auth_time=NOW - 0.5))


# --- building requirements ---------------------------------------------------------------------


@pytest.mark.parametrize("values", [(), ("",), (" mfa",), (1,)])
def test_require_amr_refuses_nonsense(values):
    with pytest.raises(ValueError):
        require_amr(*values)


def test_require_amr_refuses_an_unknown_match():
    with pytest.raises(ValueError):
        require_amr("mfa", match="some")  # type: ignore[arg-type]


@pytest.mark.parametrize("max_age", [-1, 1.5, "60", True, None])
def test_require_recent_auth_refuses_nonsense(max_age):
    with pytest.raises(ValueError):
        require_recent_auth(max_age=max_age)


def test_combining_keeps_every_need_and_the_strictest_age():
    need = combine(
        [
            require_amr("mfa"),
            require_amr("hwk", "swk", match="any"),
            require_recent_auth(max_age=600),
            require_recent_auth(max_age=60),
        ]
    )
    assert need == StepUp(
        amr_all=frozenset({"mfa"}), amr_any=(frozenset({"hwk", "swk"}),), max_age=60
    )
    with pytest.raises(TypeError):
        combine(["mfa"])  # type: ignore[list-item]


def test_step_up_paths_match_like_protected_prefixes_and_add_up():
    paths = StepUpPaths(
        {
            "/api/admin": require_amr("mfa"),
            "/api/admin/billing": [require_recent_auth(max_age=60)],
        }
    )
    assert paths.for_path("/api/lessons") is None
    assert paths.for_path("/api/adminx") is None
    assert paths.for_path("/api/admin/users") == require_amr("mfa")
    both = StepUp(amr_all=frozenset({"mfa"}), max_age=60)
    assert paths.for_path("/api/admin/billing/x") == both
    # Fail closed on other spellings of the same path.
    for spelling in ("/API/Admin/x", "//api/admin/x", "/api/x/../admin/x", "/api/%61dmin/x"):
        assert paths.for_path(spelling) is not None, spelling
    assert not StepUpPaths({})
