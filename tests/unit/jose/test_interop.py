"""Interop with two independent JOSE implementations, PyJWT and joserfc, for every algorithm.

Tokens cross in both directions, and keys cross as JWK in both directions. The other
libraries get key material as PEM (or raw secrets) wherever possible, so that a shared
misunderstanding of JWK encoding cannot make both sides agree on a wrong answer.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt as pyjwt
import pytest
from joserfc import errors as joserfc_errors
from joserfc import jwk as joserfc_jwk
from joserfc import jwt as joserfc_jwt
from jwt.algorithms import ECAlgorithm, HMACAlgorithm, OKPAlgorithm, RSAAlgorithm

from jotauth.jose import (
    ALGORITHMS,
    ASYMMETRIC_ALGORITHMS,
    BadTokenType,
    Key,
    KeySet,
    encode,
)
from jotauth.jose.jws import parse_compact, verify_signature
from jotauth.verify import TokenVerifier
from tests.support.tokens import access_claims

# joserfc follows RFC 9864 in calling "EdDSA" deprecated; DESIGN §3 still names it.
pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated:joserfc.errors.SecurityWarning")

ISSUER = "https://auth.example.test"
AUDIENCE = "lessons-api"
_KTY = {"RS256": "RSA", "PS256": "RSA", "ES256": "EC", "EdDSA": "OKP", "HS256": "oct"}
_PYJWT_ALGORITHM = {
    "RS256": RSAAlgorithm,
    "PS256": RSAAlgorithm,
    "ES256": ECAlgorithm,
    "EdDSA": OKPAlgorithm,
    "HS256": HMACAlgorithm,
}


def _access_claims(**overrides: Any) -> dict[str, Any]:
    profile = {
        "jti": "4f1c2d9e-jti",
        "sid": "session-7",
        "scope": "lessons:read lessons:write",
        "roles": ["teacher", "admin"],
        "name": "Zoë Ünicode",
    }
    return access_claims(issuer=ISSUER, audience=AUDIENCE, **profile | overrides)


def _secret(key: Key) -> bytes:
    k = key.private_jwk()["k"]
    return base64.urlsafe_b64decode(k + "=" * (-len(k) % 4))


def _pyjwt_signing_key(key: Key) -> Any:
    return _secret(key) if key.alg == "HS256" else key.cryptography_key()


def _pyjwt_verification_key(key: Key) -> Any:
    return _secret(key) if key.alg == "HS256" else key.public_key().cryptography_key()


def _joserfc_signing_key(key: Key) -> Any:
    if key.alg == "HS256":
        return joserfc_jwk.import_key(_secret(key), "oct")
    return joserfc_jwk.import_key(key.private_pem(), _KTY[key.alg])


def _joserfc_verification_key(key: Key) -> Any:
    if key.alg == "HS256":
        return joserfc_jwk.import_key(_secret(key), "oct")
    return joserfc_jwk.import_key(key.public_pem(), _KTY[key.alg])


def _verifier_for(key: Key) -> TokenVerifier:
    return TokenVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        keys=KeySet([key.public_key()]),
        algorithms=(key.alg,),
    )


def _assert_jotauth_accepts(token: str, key: Key, claims: dict[str, Any]) -> None:
    verified = _verifier_for(key).verify(token)
    assert dict(verified.raw) == claims
    assert verified.sub == claims["sub"]
    assert verified.aud == (AUDIENCE,)
    assert verified.scope == frozenset({"lessons:read", "lessons:write"})
    assert verified.roles == frozenset({"teacher", "admin"})
    # The lower-level API on its own: the header's alg is checked against the key's.
    parsed = parse_compact(token)
    verify_signature(parsed, key.public_key())
    assert parsed.payload() == claims


# --- tokens: jotauth -> PyJWT / joserfc -------------------------------------------------------


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_jotauth_token_verifies_with_pyjwt(alg: str, private_keys: dict[str, Key]) -> None:
    key = private_keys[alg]
    claims = _access_claims()
    token = encode(claims, key)

    decoded = pyjwt.decode(
        token,
        _pyjwt_verification_key(key),
        algorithms=[alg],
        audience=AUDIENCE,
        issuer=ISSUER,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )

    assert decoded == claims
    assert pyjwt.get_unverified_header(token) == {"alg": alg, "kid": key.kid, "typ": "at+jwt"}


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_jotauth_token_verifies_with_joserfc(alg: str, private_keys: dict[str, Key]) -> None:
    key = private_keys[alg]
    claims = _access_claims()
    token = encode(claims, key)

    decoded = joserfc_jwt.decode(token, _joserfc_verification_key(key), algorithms=[alg])
    joserfc_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": AUDIENCE},
        exp={"essential": True},
    ).validate(decoded.claims)

    assert decoded.claims == claims
    assert decoded.header == {"alg": alg, "kid": key.kid, "typ": "at+jwt"}


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_jotauth_token_signed_by_another_key_is_refused_by_pyjwt_and_joserfc(
    alg: str, private_keys: dict[str, Key], other_keys: dict[str, Key]
) -> None:
    # The positive interop tests above could pass with libraries that verify nothing.
    token = encode(_access_claims(), other_keys[alg])
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(
            token, _pyjwt_verification_key(private_keys[alg]), algorithms=[alg], audience=AUDIENCE
        )
    with pytest.raises(joserfc_errors.BadSignatureError):
        joserfc_jwt.decode(token, _joserfc_verification_key(private_keys[alg]), algorithms=[alg])


# --- tokens: PyJWT / joserfc -> jotauth -------------------------------------------------------


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_pyjwt_token_verifies_with_jotauth(alg: str, private_keys: dict[str, Key]) -> None:
    key = private_keys[alg]
    claims = _access_claims()
    token = pyjwt.encode(
        claims,
        _pyjwt_signing_key(key),
        algorithm=alg,
        headers={"kid": key.kid, "typ": "at+jwt"},
    )

    _assert_jotauth_accepts(token, key, claims)


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_joserfc_token_verifies_with_jotauth(alg: str, private_keys: dict[str, Key]) -> None:
    key = private_keys[alg]
    claims = _access_claims()
    token = joserfc_jwt.encode(
        {"alg": alg, "kid": key.kid, "typ": "at+jwt"},
        claims,
        _joserfc_signing_key(key),
        algorithms=[alg],
    )

    _assert_jotauth_accepts(token, key, claims)


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_pyjwt_token_with_default_jwt_typ_is_refused_in_rfc9068_strict_mode(
    alg: str, private_keys: dict[str, Key]
) -> None:
    # PyJWT writes typ "JWT" by default, as Keycloak, Auth0 and Entra ID do in access tokens:
    # the default typ set accepts it (DESIGN §7); strict RFC 9068 (typ="at+jwt", §4) does not.
    key = private_keys[alg]
    claims = _access_claims()
    token = pyjwt.encode(claims, _pyjwt_signing_key(key), algorithm=alg, headers={"kid": key.kid})

    strict = TokenVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        keys=KeySet([key.public_key()]),
        algorithms=(alg,),
        typ="at+jwt",
    )
    with pytest.raises(BadTokenType) as raised:
        strict.verify(token)
    assert raised.value.code == "bad_type"
    assert dict(_verifier_for(key).verify(token).raw) == claims


# --- JWK: jotauth -> joserfc / PyJWT ----------------------------------------------------------


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_thumbprint_equals_joserfc_thumbprint_of_the_same_key_material(
    alg: str, private_keys: dict[str, Key]
) -> None:
    # joserfc reads the PEM (or raw secret), never our JWK: RFC 7638 computed independently.
    key = private_keys[alg]
    assert key.thumbprint() == _joserfc_verification_key(key).thumbprint()


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_default_kid_is_the_rfc7638_thumbprint(alg: str, private_keys: dict[str, Key]) -> None:
    key = Key.from_jwk(private_keys[alg].private_jwk() | {"kid": None}, alg=alg)  # type: ignore[arg-type]
    assert key.kid == key.thumbprint() == _joserfc_verification_key(key).thumbprint()


@pytest.mark.parametrize("alg", ASYMMETRIC_ALGORITHMS)
def test_public_jwk_imports_in_joserfc_and_verifies_our_token(
    alg: str, private_keys: dict[str, Key]
) -> None:
    key = private_keys[alg]
    exported = key.public_jwk()
    assert not {"d", "p", "q", "dp", "dq", "qi"} & exported.keys()
    imported = joserfc_jwk.import_key(exported)

    assert imported.thumbprint() == key.thumbprint()
    claims = _access_claims()
    assert joserfc_jwt.decode(encode(claims, key), imported, algorithms=[alg]).claims == claims


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_private_jwk_imports_in_joserfc_and_signs_tokens_we_accept(
    alg: str, private_keys: dict[str, Key]
) -> None:
    key = private_keys[alg]
    imported = joserfc_jwk.import_key(key.private_jwk())
    claims = _access_claims()
    token = joserfc_jwt.encode(
        {"alg": alg, "kid": key.kid, "typ": "at+jwt"}, claims, imported, algorithms=[alg]
    )

    _assert_jotauth_accepts(token, key, claims)


@pytest.mark.parametrize("alg", ASYMMETRIC_ALGORITHMS)
def test_public_jwk_imports_in_pyjwt_and_verifies_our_token(
    alg: str, private_keys: dict[str, Key]
) -> None:
    key = private_keys[alg]
    imported = pyjwt.PyJWK(key.public_jwk())
    claims = _access_claims()

    decoded = pyjwt.decode(encode(claims, key), imported, algorithms=[alg], audience=AUDIENCE)

    assert decoded == claims


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_private_jwk_imports_in_pyjwt_and_signs_tokens_we_accept(
    alg: str, private_keys: dict[str, Key]
) -> None:
    key = private_keys[alg]
    imported = pyjwt.PyJWK(key.private_jwk())
    claims = _access_claims()
    token = pyjwt.encode(
        claims, imported.key, algorithm=alg, headers={"kid": key.kid, "typ": "at+jwt"}
    )

    _assert_jotauth_accepts(token, key, claims)


def test_our_jwks_document_selects_keys_by_kid_in_pyjwt_and_joserfc(
    private_keys: dict[str, Key],
) -> None:
    keys = [private_keys[alg] for alg in ASYMMETRIC_ALGORITHMS]
    document = json.loads(json.dumps(KeySet([k.public_key() for k in keys]).to_jwks()))
    pyjwt_set = pyjwt.PyJWKSet.from_dict(document)
    joserfc_set = joserfc_jwk.KeySet.import_key_set(document)

    for key in keys:
        claims = _access_claims(sub=f"signed-with-{key.alg}")
        token = encode(claims, key)
        assert (
            pyjwt.decode(token, pyjwt_set[key.kid], algorithms=[key.alg], audience=AUDIENCE)
            == claims
        )
        assert joserfc_jwt.decode(token, joserfc_set, algorithms=[key.alg]).claims == claims


# --- JWK: joserfc / PyJWT -> jotauth ----------------------------------------------------------


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_joserfc_exported_jwks_import_in_jotauth(alg: str, private_keys: dict[str, Key]) -> None:
    # joserfc parses our PEM and writes its own JWK; we must read both halves of it.
    key = private_keys[alg]
    foreign = _joserfc_signing_key(key)
    private = Key.from_jwk(foreign.as_dict(private=True), alg=alg)  # type: ignore[arg-type]

    assert private.is_private
    assert private.thumbprint() == foreign.thumbprint() == key.thumbprint()
    claims = _access_claims()
    token = encode(claims, private)
    assert joserfc_jwt.decode(token, foreign, algorithms=[alg]).claims == claims
    if alg != "HS256":
        public = Key.from_jwk(foreign.as_dict(private=False), alg=alg)  # type: ignore[arg-type]
        assert not public.is_private
        assert public.public_jwk() == key.public_key().public_jwk() | {"kid": public.kid}
        verify_signature(parse_compact(token), public)


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_pyjwt_exported_jwks_import_in_jotauth(alg: str, private_keys: dict[str, Key]) -> None:
    key = private_keys[alg]
    algorithm = _PYJWT_ALGORITHM[alg]
    if alg == "HS256":
        private_jwk = json.loads(algorithm.to_jwk(_secret(key)))  # type: ignore[attr-defined]
    else:
        private_jwk = json.loads(algorithm.to_jwk(key.cryptography_key()))  # type: ignore[attr-defined]
    private = Key.from_jwk(private_jwk, alg=alg)  # type: ignore[arg-type]

    assert private.thumbprint() == key.thumbprint()
    claims = _access_claims()
    assert (
        pyjwt.decode(
            encode(claims, private),
            _pyjwt_verification_key(key),
            algorithms=[alg],
            audience=AUDIENCE,
        )
        == claims
    )
    if alg != "HS256":
        public_jwk = json.loads(algorithm.to_jwk(key.public_key().cryptography_key()))  # type: ignore[attr-defined]
        public = Key.from_jwk(public_jwk, alg=alg)  # type: ignore[arg-type]
        assert public.thumbprint() == key.thumbprint()
        verify_signature(parse_compact(encode(claims, key)), public)
