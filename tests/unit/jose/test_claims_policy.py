"""ClaimsPolicy: exp/nbf/iat with leeway at their exact boundaries, iss, aud, required claims,
typ, and claims of the wrong JSON type. Each rejection asserts its stable ``code``."""

from __future__ import annotations

from typing import Any

import pytest

from jotauth.jose import (
    BadAudience,
    BadIssuer,
    BadJson,
    BadTokenType,
    Claims,
    ClaimsError,
    InvalidToken,
    IssuedInFuture,
    Key,
    MissingClaim,
    TokenExpired,
    TokenNotYetValid,
    encode,
)
from jotauth.jose._encoding import b64url_encode
from jotauth.jose.claims import ClaimsPolicy
from jotauth.jose.jws import parse_compact
from tests.support.tokens import access_claims

ISSUER = "https://auth.example.test"
AUDIENCE = "lessons-api"
NOW = 1_800_000_000
LEEWAY = 30
_ABSENT: Any = object()  # marks a claim to leave out


def _policy(**options: Any) -> ClaimsPolicy:
    settings: dict[str, Any] = {"issuer": ISSUER, "audience": AUDIENCE, "leeway": LEEWAY}
    settings.update(options)
    return ClaimsPolicy(**settings)


def _claims(**overrides: Any) -> dict[str, Any]:
    claims = access_claims(issuer=ISSUER, audience=AUDIENCE, now=NOW, **overrides)
    return {name: value for name, value in claims.items() if value is not _ABSENT}


def _rejects(policy: ClaimsPolicy, claims: dict[str, Any], error: type[InvalidToken]) -> str:
    with pytest.raises(error) as raised:
        policy.check(claims, NOW)
    assert type(raised.value) is error  # exactly this class, not merely a subclass of it
    return raised.value.code


# --- the happy path ---------------------------------------------------------------------------


def test_valid_access_token_claims_come_back_typed() -> None:
    raw = _claims(jti="j-1", sid="s-1", scope="lessons:read  lessons:write", roles=["admin"])

    claims = _policy().check(raw, NOW)

    assert isinstance(claims, Claims)
    assert claims.sub == "user-42"
    assert claims.iss == ISSUER
    assert claims.aud == (AUDIENCE,)
    assert (claims.exp, claims.iat, claims.nbf) == (NOW + 900, NOW, None)
    assert (claims.jti, claims.sid) == ("j-1", "s-1")
    assert claims.scope == frozenset({"lessons:read", "lessons:write"})
    assert claims.roles == frozenset({"admin"})
    assert claims.has_scopes("lessons:read") and not claims.has_scopes("lessons:buy")
    assert claims.has_roles("admin") and not claims.has_roles("admin", "root")
    assert dict(claims.raw) == raw
    with pytest.raises(TypeError):
        claims.raw["sub"] = "someone-else"  # type: ignore[index]


# --- exp --------------------------------------------------------------------------------------


def test_exp_one_second_before_the_leeway_runs_out_is_accepted() -> None:
    assert _policy().check(_claims(exp=NOW - LEEWAY + 1), NOW).exp == NOW - LEEWAY + 1


def test_exp_exactly_at_now_minus_leeway_is_expired() -> None:
    # RFC 7519 §4.1.4: "the current date/time MUST be before the expiration date/time".
    assert _rejects(_policy(), _claims(exp=NOW - LEEWAY), TokenExpired) == "expired"


def test_exp_equal_to_now_without_leeway_is_expired() -> None:
    assert _rejects(_policy(leeway=0), _claims(exp=NOW), TokenExpired) == "expired"
    assert _policy(leeway=0).check(_claims(exp=NOW + 1), NOW).exp == NOW + 1


def test_fractional_exp_and_leeway_compare_exactly() -> None:
    policy = _policy(leeway=0.5)
    assert policy.check(_claims(exp=NOW - 0.25), NOW).exp == NOW - 0.25
    assert _rejects(policy, _claims(exp=NOW - 0.5), TokenExpired) == "expired"


def test_exp_is_required_even_when_the_policy_requires_nothing() -> None:
    policy = _policy(required=())
    assert _rejects(policy, _claims(exp=_ABSENT), MissingClaim) == "missing_claim"


# --- nbf and iat ------------------------------------------------------------------------------


def test_nbf_up_to_leeway_in_the_future_is_accepted() -> None:
    assert _policy().check(_claims(nbf=NOW + LEEWAY), NOW).nbf == NOW + LEEWAY


def test_nbf_beyond_the_leeway_is_not_yet_valid() -> None:
    code = _rejects(_policy(), _claims(nbf=NOW + LEEWAY + 1), TokenNotYetValid)
    assert code == "not_yet_valid"


def test_nbf_without_leeway_is_valid_from_its_own_second() -> None:
    # RFC 7519 §4.1.5: valid when the current time is "after or equal to" nbf.
    assert _policy(leeway=0).check(_claims(nbf=NOW), NOW).nbf == NOW
    assert _rejects(_policy(leeway=0), _claims(nbf=NOW + 1), TokenNotYetValid)


def test_iat_up_to_leeway_in_the_future_is_accepted() -> None:
    assert _policy().check(_claims(iat=NOW + LEEWAY), NOW).iat == NOW + LEEWAY


def test_iat_beyond_the_leeway_is_issued_in_the_future() -> None:
    code = _rejects(_policy(), _claims(iat=NOW + LEEWAY + 1), IssuedInFuture)
    assert code == "issued_in_future"


def test_iat_may_be_omitted_when_not_required() -> None:
    policy = _policy(required=("iss", "sub", "aud", "exp"))
    assert policy.check(_claims(iat=_ABSENT), NOW).iat is None


# --- iss --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "issuer",
    ["https://evil.example.test", ISSUER + "/", ISSUER.upper(), "", ["https://auth.example.test"]],
)
def test_another_issuer_is_refused(issuer: object) -> None:
    assert _rejects(_policy(), _claims(iss=issuer), BadIssuer) == "bad_issuer"


def test_missing_iss_is_a_missing_claim() -> None:
    assert _rejects(_policy(), _claims(iss=_ABSENT), MissingClaim) == "missing_claim"


def test_missing_iss_is_still_a_bad_issuer_when_not_required() -> None:
    policy = _policy(required=("sub", "aud", "exp"))
    assert _rejects(policy, _claims(iss=_ABSENT), BadIssuer) == "bad_issuer"


# --- aud --------------------------------------------------------------------------------------


def test_audience_as_a_string_is_accepted() -> None:
    assert _policy().check(_claims(aud=AUDIENCE), NOW).aud == (AUDIENCE,)


def test_audience_list_containing_ours_is_accepted() -> None:
    claims = _policy().check(_claims(aud=["billing-api", AUDIENCE]), NOW)
    assert set(claims.aud) == {"billing-api", AUDIENCE}


def test_any_of_several_configured_audiences_is_accepted() -> None:
    policy = _policy(audience=["billing-api", AUDIENCE])
    assert policy.check(_claims(aud="billing-api"), NOW).aud == ("billing-api",)


@pytest.mark.parametrize(
    "audience", ["billing-api", ["billing-api", "admin-api"], [], AUDIENCE.upper(), "", None]
)
def test_audience_that_is_not_ours_is_refused(audience: object) -> None:
    assert _rejects(_policy(), _claims(aud=audience), BadAudience) == "bad_audience"


def test_missing_audience_is_a_missing_claim() -> None:
    assert _rejects(_policy(), _claims(aud=_ABSENT), MissingClaim) == "missing_claim"


def test_missing_audience_is_refused_even_when_not_required() -> None:
    policy = _policy(required=("iss", "sub", "exp"))
    assert _rejects(policy, _claims(aud=_ABSENT), BadAudience) == "bad_audience"


@pytest.mark.parametrize("audience", [5, {"aud": AUDIENCE}, [AUDIENCE, 5], True])
def test_audience_of_the_wrong_json_type_is_a_bad_claim(audience: object) -> None:
    assert _rejects(_policy(), _claims(aud=audience), ClaimsError) == "bad_claim"


# --- required claims --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["iss", "sub", "aud", "exp", "iat"])
def test_each_default_required_claim_is_enforced(name: str) -> None:
    with pytest.raises(MissingClaim, match=name) as raised:
        _policy().check(_claims(**{name: _ABSENT}), NOW)
    assert raised.value.code == "missing_claim"


def test_extra_required_claims_are_enforced() -> None:
    policy = _policy(required=("iss", "sub", "aud", "exp", "iat", "jti", "sid"))
    with pytest.raises(MissingClaim, match="jti"):
        policy.check(_claims(sid="s-1"), NOW)
    assert policy.check(_claims(jti="j-1", sid="s-1"), NOW).jti == "j-1"


# --- typ (header) -----------------------------------------------------------------------------


@pytest.mark.parametrize("typ", ["at+jwt", "application/at+jwt", "AT+JWT", "Application/At+Jwt"])
def test_access_token_typ_is_accepted_with_or_without_the_media_type_prefix(typ: str) -> None:
    # RFC 9068 §4, RFC 7515 §4.1.9: media types compare case-insensitively, prefix optional.
    _policy().check_type({"alg": "RS256", "typ": typ})


@pytest.mark.parametrize("typ", ["JWT", "jwt", "at+jwt ", "application/jwt", "id+jwt", None, ""])
def test_other_or_missing_typ_is_refused(typ: str | None) -> None:
    header: dict[str, Any] = {"alg": "RS256"} if typ is None else {"alg": "RS256", "typ": typ}
    with pytest.raises(BadTokenType) as raised:
        _policy().check_type(header)
    assert raised.value.code == "bad_type"


def test_typ_check_can_be_turned_off_explicitly() -> None:
    _policy(typ=None).check_type({"alg": "RS256"})
    _policy(typ=None).check_type({"alg": "RS256", "typ": "JWT"})


# --- claims of the wrong JSON type ------------------------------------------------------------


@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
@pytest.mark.parametrize(
    "value",
    [str(NOW + 900), True, False, [NOW + 900], {"t": NOW}, float("inf"), float("nan")],
    ids=["string", "true", "false", "array", "object", "inf", "nan"],
)
def test_numeric_date_of_the_wrong_type_is_a_bad_claim(name: str, value: object) -> None:
    assert _rejects(_policy(), _claims(**{name: value}), ClaimsError) == "bad_claim"


def test_null_exp_is_a_bad_claim_not_a_crash() -> None:
    assert _rejects(_policy(), _claims(exp=None), ClaimsError) == "bad_claim"


@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", [10**400, -(10**400), 2**53 + 1, 1e300])
@pytest.mark.parametrize("leeway", [30, 0.5])
def test_numeric_date_beyond_any_real_date_is_a_bad_claim(
    name: str, value: int | float, leeway: float
) -> None:
    # Huge ints overflow when mixed with a float leeway or clock: a ClaimsError, never an
    # OverflowError escaping as a 500.
    policy = _policy(leeway=leeway)
    assert _rejects(policy, _claims(**{name: value}), ClaimsError) == "bad_claim"


def test_float_numeric_dates_are_accepted() -> None:
    claims = _policy().check(_claims(exp=NOW + 0.5, iat=NOW - 0.5, nbf=NOW - 1.5), NOW)
    assert (claims.exp, claims.iat, claims.nbf) == (NOW + 0.5, NOW - 0.5, NOW - 1.5)


@pytest.mark.parametrize(
    "overrides",
    [
        {"sub": 42},
        {"sub": ["user-42"]},
        {"sub": None},
        {"jti": 7},
        {"sid": {"id": "s"}},
        {"scope": ["lessons:read", 3]},
        {"scope": 5},
        {"roles": 5},
        {"roles": [{"name": "admin"}]},
        {"roles": [["admin"]]},
    ],
    ids=repr,
)
def test_string_claims_of_the_wrong_type_are_bad_claims(overrides: dict[str, Any]) -> None:
    assert _rejects(_policy(), _claims(**overrides), ClaimsError) == "bad_claim"


@pytest.mark.parametrize(
    "roles", [["admin", 1], ["admin", True], ["admin", ["x"]], ["admin", {"a": 1}]], ids=repr
)
def test_a_role_list_is_checked_item_by_item_after_a_valid_one_was_interned(roles) -> None:
    # The interned role lists are looked up before their items are checked: an item that
    # is no string (even an unhashable one) must still be a bad claim, never a hit or a crash.
    policy = _policy()
    assert policy.check(_claims(roles=["admin", "1"]), NOW).roles == {"admin", "1"}
    assert _rejects(policy, _claims(roles=roles), ClaimsError) == "bad_claim"


def test_roles_as_a_single_string_is_one_role() -> None:
    assert _policy().check(_claims(roles="admin"), NOW).roles == frozenset({"admin"})


@pytest.mark.parametrize("first", ["scope", "roles"])
def test_scope_and_roles_strings_never_share_a_parse(first: str) -> None:
    # The same text is one scope per word but a single role: whichever claim a policy saw
    # first must not decide how the other is read (a role string must never split into
    # "admin").
    policy = _policy()
    text = "lessons:read admin"
    second = "roles" if first == "scope" else "scope"
    policy.check(_claims(**{first: text}), NOW)
    claims = policy.check(_claims(**{second: text}), NOW)
    if second == "roles":
        assert claims.roles == frozenset({"lessons:read admin"})
        assert not claims.has_roles("admin")
    else:
        assert claims.scope == frozenset({"lessons:read", "admin"})


def test_repeated_scope_and_roles_values_share_one_set() -> None:
    policy = _policy()
    a = policy.check(_claims(scope="a b", roles=["x", "y"]), NOW)
    b = policy.check(_claims(scope="a b", roles=["x", "y"]), NOW)
    assert a.scope is b.scope and a.roles is b.roles


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_constants_nan_and_infinity_are_not_json(constant: str) -> None:
    key = Key.generate("HS256")
    token = encode({"sub": "x"}, key)
    header, _, _ = token.split(".")
    payload = b64url_encode(f'{{"sub":"x","exp":{constant}}}'.encode())
    parsed = parse_compact(f"{header}.{payload}.{b64url_encode(b'0' * 32)}")
    with pytest.raises(BadJson) as raised:
        parsed.payload()
    assert raised.value.code == "bad_json"


def test_integer_with_thousands_of_digits_is_refused_by_the_json_parser() -> None:
    header = b64url_encode(b'{"alg":"HS256"}')
    payload = b64url_encode(b'{"exp":' + b"9" * 5000 + b"}")
    parsed = parse_compact(f"{header}.{payload}.{b64url_encode(b'0' * 32)}")
    with pytest.raises(BadJson):
        parsed.payload()


# --- policy construction ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [{"issuer": ""}, {"audience": ""}, {"audience": []}, {"audience": ["a", ""]}, {"leeway": -1}],
    ids=repr,
)
def test_a_policy_that_would_accept_anyone_cannot_be_built(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        _policy(**options)
