"""ClaimsPolicy for other issuers' access tokens (DESIGN §7): a set of ``typ`` values, scopes
from ``scope`` or ``scp``, roles from a claim path, ``azp``, the audience in another claim and
claims that must have one value. Each rejection asserts its stable ``code`` and claim."""

from __future__ import annotations

from typing import Any

import pytest

from jotauth.jose import BadAudience, BadTokenType, ClaimsError, MissingClaim
from jotauth.jose.claims import DEFAULT_ACCESS_TOKEN_TYPES, ClaimsPolicy, claim_path
from tests.support.tokens import access_claims

ISSUER = "https://idp.example.test/realms/demo"
AUDIENCE = "lessons-api"
NOW = 1_800_000_000


def _policy(**options: Any) -> ClaimsPolicy:
    return ClaimsPolicy(issuer=ISSUER, audience=AUDIENCE, **options)


def _claims(**claims: Any) -> dict[str, Any]:
    return access_claims(issuer=ISSUER, audience=AUDIENCE, now=NOW, **claims)


# --- typ as a set ---------------------------------------------------------------------------


@pytest.mark.parametrize("typ", ["at+jwt", "JWT", "jwt", "application/at+jwt", "application/JWT"])
def test_the_default_set_takes_at_jwt_and_jwt(typ: str) -> None:
    _policy(typ=DEFAULT_ACCESS_TOKEN_TYPES).check_type({"alg": "RS256", "typ": typ})


@pytest.mark.parametrize("typ", [None, "", "id+jwt", "logout+jwt", "JOSE", 1, ["JWT"]])
def test_a_typ_outside_the_set_is_refused(typ: object) -> None:
    header: dict[str, Any] = {"alg": "RS256"} if typ is None else {"alg": "RS256", "typ": typ}
    with pytest.raises(BadTokenType) as raised:
        _policy(typ=DEFAULT_ACCESS_TOKEN_TYPES).check_type(header)
    assert raised.value.code == "bad_type"
    assert "'at+jwt' or 'JWT'" in raised.value.detail


def test_none_in_the_set_admits_a_token_without_typ_and_nothing_else() -> None:
    policy = _policy(typ=("JWT", None))  # Okta and Cognito send no typ
    policy.check_type({"alg": "RS256"})
    policy.check_type({"alg": "RS256", "typ": "JWT"})
    with pytest.raises(BadTokenType):
        policy.check_type({"alg": "RS256", "typ": "at+jwt"})


@pytest.mark.parametrize("typ", [(), [""], ("JWT", "")])
def test_an_empty_type_set_is_a_configuration_error(typ: Any) -> None:
    with pytest.raises(ValueError, match="typ"):
        _policy(typ=typ)


# --- scope or scp ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"scope": "openid lessons:read"}, {"openid", "lessons:read"}),  # RFC 9068, Auth0, Keycloak
        ({"scp": "User.Read lessons.read"}, {"User.Read", "lessons.read"}),  # Entra ID
        ({"scp": ["openid", "lessons:read"]}, {"openid", "lessons:read"}),  # Okta
        ({"scp": []}, set()),
        ({}, set()),
    ],
)
def test_scopes_come_from_scope_or_scp(claims: dict[str, Any], expected: set[str]) -> None:
    assert _policy().check(_claims(**claims), NOW).scope == expected


@pytest.mark.parametrize("scp", [42, True, {"lessons": "read"}, ["ok", 7], [["nested"]], 1.5])
def test_an_scp_of_the_wrong_type_is_refused_naming_scp(scp: object) -> None:
    with pytest.raises(ClaimsError) as raised:
        _policy().check(_claims(scp=scp), NOW)
    assert (raised.value.code, raised.value.claim) == ("bad_claim", "scp")


def test_scope_and_scp_together_are_ambiguous_and_refused() -> None:
    # Which one would be the grant? Refusing beats picking the wider one.
    with pytest.raises(ClaimsError) as raised:
        _policy().check(_claims(scope="lessons:read", scp=["admin"]), NOW)
    assert raised.value.claim == "scp"


# --- roles from a claim path ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles_claim", "claims", "expected"),
    [
        ("roles", {"roles": ["admin"]}, {"admin"}),  # jotauth, Entra ID app roles
        ("realm_access.roles", {"realm_access": {"roles": ["admin", "user"]}}, {"admin", "user"}),
        ("resource_access.lessons-api.roles",
         {"resource_access": {"lessons-api": {"roles": ["editor"]}}}, {"editor"}),
        ("https://example.com/roles", {"https://example.com/roles": ["admin"]}, {"admin"}),  # Auth0
        ("cognito:groups", {"cognito:groups": ["admins"]}, {"admins"}),
        (("org.example", "roles"), {"org.example": {"roles": ["x"]}}, {"x"}),  # explicit path
        ("realm_access.roles", {"realm_access": {}}, set()),
        ("realm_access.roles", {}, set()),
        ("realm_access.roles", {"roles": ["admin"]}, set()),  # not where the path points
    ],
)  # fmt: skip
def test_roles_come_from_the_configured_path(
    roles_claim: Any, claims: dict[str, Any], expected: set[str]
) -> None:
    assert _policy(roles_claim=roles_claim).check(_claims(**claims), NOW).roles == expected


@pytest.mark.parametrize(
    "claims",
    [
        {"realm_access": ["admin"]},
        {"realm_access": "admin"},
        {"realm_access": {"roles": [1, 2]}},
        {"realm_access": {"roles": {"admin": True}}},
    ],
)
def test_roles_of_the_wrong_shape_are_refused(claims: dict[str, Any]) -> None:
    policy = _policy(roles_claim="realm_access.roles")
    with pytest.raises(ClaimsError) as raised:
        policy.check(_claims(**claims), NOW)
    assert raised.value.code == "bad_claim"


@pytest.mark.parametrize("path", ["", ".", "a..b", (), ("a", "")])
def test_an_empty_claim_path_is_a_configuration_error(path: Any) -> None:
    with pytest.raises(ValueError, match="claim path"):
        claim_path(path)


# --- azp, audience claim, expected values ---------------------------------------------------


def test_azp_is_carried_and_checked_against_the_authorised_parties() -> None:
    assert _policy().check(_claims(azp="spa-client"), NOW).azp == "spa-client"
    policy = _policy(authorized_parties=["spa-client"])
    assert policy.check(_claims(azp="spa-client"), NOW).azp == "spa-client"
    for claims in (_claims(azp="other-client"), _claims()):
        with pytest.raises(ClaimsError) as raised:
            policy.check(claims, NOW)
        assert raised.value.claim == "azp"


def test_an_azp_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(ClaimsError) as raised:
        _policy().check(_claims(azp=["spa-client"]), NOW)
    assert raised.value.claim == "azp"


def test_the_audience_can_live_in_another_claim() -> None:
    # Cognito access tokens carry no aud: the app client id is in client_id.
    policy = _policy(audience_claim="client_id")
    claims = _claims(client_id=AUDIENCE)
    del claims["aud"]
    assert policy.check(claims, NOW).aud == (AUDIENCE,)
    with pytest.raises(BadAudience):
        policy.check({**claims, "client_id": "another-app"}, NOW)
    missing = dict(claims)
    del missing["client_id"]
    with pytest.raises(MissingClaim) as raised:
        policy.check(missing, NOW)
    assert raised.value.claim == "client_id"


def test_expected_claims_tell_an_id_token_from_an_access_token() -> None:
    policy = _policy(expected_claims={"token_use": "access"})
    assert policy.check(_claims(token_use="access"), NOW)
    for claims in (_claims(token_use="id"), _claims(), _claims(token_use=["access"])):
        with pytest.raises(ClaimsError) as raised:
            policy.check(claims, NOW)
        assert raised.value.claim == "token_use"
