"""TokenVerifier: its configuration, the key sources it accepts, and what it returns."""

from __future__ import annotations

from typing import Any

import pytest

from jotauth.jose import (
    BadTokenType,
    Claims,
    InvalidKeySet,
    InvalidToken,
    Key,
    KeySet,
    TokenExpired,
    TokenTooLarge,
    UnknownKey,
    UnsupportedAlgorithm,
    encode,
)
from jotauth.verify import JWKSClient, TokenVerifier, cache_lifetime
from tests.support.tokens import access_claims

ISSUER = "https://auth.example.test"
AUDIENCE = "lessons-api"
NOW = 1_800_000_000


def _claims(**overrides: Any) -> dict[str, Any]:
    profile = {
        "jti": "j-1",
        "sid": "s-1",
        "scope": "lessons:read lessons:buy",
        "roles": ["student"],
    }
    return access_claims(issuer=ISSUER, audience=AUDIENCE, now=NOW, **profile | overrides)


def _verifier(keys: Any, **options: Any) -> TokenVerifier:
    return TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=keys, clock=lambda: NOW, **options)


def test_verify_returns_typed_claims(signing_keys: dict[str, Key]) -> None:
    key = signing_keys["RS256"]
    claims = _verifier(KeySet([key.public_key()])).verify(encode(_claims(), key))

    assert isinstance(claims, Claims)
    assert claims == Claims(
        sub="user-42",
        iss=ISSUER,
        aud=(AUDIENCE,),
        exp=NOW + 900,
        iat=NOW,
        nbf=None,
        jti="j-1",
        sid="s-1",
        scope=frozenset({"lessons:read", "lessons:buy"}),
        roles=frozenset({"student"}),
        raw=claims.raw,
    )
    assert dict(claims.raw) == _claims()


def test_only_rs256_is_allowed_by_default(signing_keys: dict[str, Key]) -> None:
    keys = KeySet(signing_keys[alg].public_key() for alg in ("RS256", "ES256", "EdDSA"))
    verifier = _verifier(keys)
    assert verifier.algorithms == frozenset({"RS256"})
    with pytest.raises(UnsupportedAlgorithm) as raised:
        verifier.verify(encode(_claims(), signing_keys["ES256"]))
    assert raised.value.code == "unsupported_alg"


@pytest.mark.parametrize("algorithms", [(), ("none",), ("RS512",), ("RS256", "HS384")], ids=repr)
def test_unknown_or_empty_algorithm_lists_are_refused(
    algorithms: tuple[str, ...], signing_keys: dict[str, Key]
) -> None:
    with pytest.raises(ValueError):
        _verifier(KeySet([signing_keys["RS256"]]), algorithms=algorithms)


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256", "EdDSA"])
def test_keys_may_be_a_plain_jwks_document(alg: str, signing_keys: dict[str, Key]) -> None:
    key = signing_keys[alg]
    document = KeySet([key.public_key()]).to_jwks()
    verifier = _verifier(document, algorithms=(alg,))
    assert verifier.verify(encode(_claims(), key)).sub == "user-42"


def test_jwks_document_never_supplies_hmac_secrets(signing_keys: dict[str, Key]) -> None:
    # A JWKS is public: an "oct" key in it would let anyone who can read it mint tokens.
    secret = signing_keys["HS256"]
    document = {"keys": [secret.private_jwk()]}
    verifier = _verifier(document, algorithms=("HS256",))
    with pytest.raises(UnknownKey):
        verifier.verify(encode(_claims(), secret))


def test_jwks_document_keys_outside_the_allowlist_are_ignored(
    signing_keys: dict[str, Key],
) -> None:
    es, rs = signing_keys["ES256"], signing_keys["RS256"]
    document = KeySet([es.public_key(), rs.public_key()]).to_jwks()
    verifier = _verifier(document)  # RS256 only
    assert verifier.verify(encode(_claims(), rs)).sub == "user-42"
    with pytest.raises(UnsupportedAlgorithm):
        verifier.verify(encode(_claims(), es))


def test_malformed_jwks_document_is_refused_at_construction() -> None:
    with pytest.raises(InvalidKeySet):  # a configuration error, not a token's fault
        _verifier({"keys": "not a list"})


def test_typ_defaults_to_at_jwt_and_jwt_and_strict_mode_is_one_setting(
    signing_keys: dict[str, Key],
) -> None:
    key = signing_keys["EdDSA"]
    keys = KeySet([key])
    jwt, at_jwt = encode(_claims(), key, typ="JWT"), encode(_claims(), key, typ="at+jwt")
    untyped, id_typ = encode(_claims(), key, typ=None), encode(_claims(), key, typ="id+jwt")
    default = _verifier(keys, algorithms=("EdDSA",))
    assert default.verify(jwt) and default.verify(at_jwt)
    for refused in (untyped, id_typ):
        with pytest.raises(BadTokenType):
            default.verify(refused)
    strict = _verifier(keys, algorithms=("EdDSA",), typ="at+jwt")  # RFC 9068 §4
    assert strict.verify(at_jwt)
    with pytest.raises(BadTokenType):
        strict.verify(jwt)
    assert _verifier(keys, algorithms=("EdDSA",), typ=None).verify(untyped)
    assert _verifier(keys, algorithms=("EdDSA",), typ=("JWT", None)).verify(untyped)


def test_leeway_and_clock_are_the_verifiers_own(signing_keys: dict[str, Key]) -> None:
    key = signing_keys["EdDSA"]
    token = encode(_claims(exp=NOW - 5), key)
    assert _verifier(KeySet([key]), algorithms=("EdDSA",), leeway=10).verify(token)
    with pytest.raises(TokenExpired):
        _verifier(KeySet([key]), algorithms=("EdDSA",), leeway=5).verify(token)


def test_required_claims_are_configurable(signing_keys: dict[str, Key]) -> None:
    key = signing_keys["EdDSA"]
    token = encode({k: v for k, v in _claims().items() if k not in ("iat", "sub")}, key)
    lenient = _verifier(KeySet([key]), algorithms=("EdDSA",), required_claims=("iss", "aud"))
    assert lenient.verify(token).sub == ""
    with pytest.raises(InvalidToken) as raised:
        _verifier(KeySet([key]), algorithms=("EdDSA",)).verify(token)
    assert raised.value.code == "missing_claim"


def test_max_token_bytes_is_configurable(signing_keys: dict[str, Key]) -> None:
    key = signing_keys["EdDSA"]
    token = encode(_claims(), key)
    with pytest.raises(TokenTooLarge):
        _verifier(KeySet([key]), algorithms=("EdDSA",), max_token_bytes=len(token) - 1).verify(
            token
        )
    assert _verifier(KeySet([key]), algorithms=("EdDSA",), max_token_bytes=len(token)).verify(token)


async def test_averify_works_with_a_static_key_set(signing_keys: dict[str, Key]) -> None:
    key = signing_keys["ES256"]
    verifier = _verifier(KeySet([key.public_key()]), algorithms=("ES256",))
    token = encode(_claims(), key)
    first = await verifier.averify(token)
    assert await verifier.averify(token) is first
    assert verifier.verify(token) is first


def test_sync_verify_with_an_async_client_is_a_programming_error(
    signing_keys: dict[str, Key],
) -> None:
    client = JWKSClient("https://auth.example.test/.well-known/jwks.json")
    verifier = _verifier(client)
    with pytest.raises(TypeError, match="averify"):
        verifier.verify(encode(_claims(), signing_keys["RS256"]))
    with pytest.raises(TypeError, match="averify"):
        verifier.verify(encode(_claims(), signing_keys["RS256"]).encode())


@pytest.mark.parametrize("url", ["ftp://auth.example.test/jwks", "/jwks.json", "file:///etc/x"])
def test_jwks_clients_need_an_http_url(url: str) -> None:
    with pytest.raises(ValueError):
        JWKSClient(url)


def test_jwks_client_refetch_limit_must_allow_one_fetch() -> None:
    with pytest.raises(ValueError):
        JWKSClient("https://auth.example.test/jwks", refetch_per_minute=0)


# --- Cache-Control --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, 600),
        ("", 600),
        ("max-age=300", 300),
        ("public, max-age=120, must-revalidate", 120),
        ("MAX-AGE=120", 120),
        ('max-age="90"', 90),
        ("max-age = 45", 45),
        ("s-maxage=100", 600),
        ("max-age=abc", 600),
        ("max-age=-5", 600),
        ("public", 600),
        ("no-store", 5),
        ("no-cache, max-age=300", 5),
        ("private, no-cache", 5),
        ("max-age=0", 5),
        ("max-age=1", 5),
        ("max-age=999999999", 86400),
    ],
)
def test_cache_lifetime_honours_max_age_within_floor_and_ceiling(
    header: str | None, expected: float
) -> None:
    assert cache_lifetime(header, 600, floor=5, ceiling=86400) == expected
