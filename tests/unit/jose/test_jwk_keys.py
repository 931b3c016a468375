"""Key construction: one algorithm per key, weak and confused key material refused, JWK and
PEM import/export, and KeySet/JWKS documents."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa

from jotauth.jose import (
    ALGORITHMS,
    ASYMMETRIC_ALGORITHMS,
    InvalidKey,
    InvalidKeySet,
    Key,
    KeySet,
    MissingKeyId,
    UnknownKey,
    WeakKey,
    encode,
)
from jotauth.jose._encoding import b64url_decode, b64url_encode
from jotauth.keys import self_signed_certificate

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k"}


@pytest.fixture(scope="module")
def weak_rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 1024)


def _invalid(build: Any, error: type[InvalidKey] = InvalidKey) -> str:
    with pytest.raises(error) as raised:
        build()
    assert type(raised.value) is error
    return raised.value.code


# --- weak keys --------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 16, 31])
def test_hmac_secret_shorter_than_32_bytes_is_weak(length: int) -> None:
    assert _invalid(lambda: Key.hmac(b"s" * length), WeakKey) == "weak_key"
    jwk = {"kty": "oct", "k": b64url_encode(b"s" * length)} if length else None
    if jwk is not None:
        assert _invalid(lambda: Key.from_jwk(jwk, alg="HS256"), WeakKey) == "weak_key"


def test_hmac_secret_of_32_bytes_is_enough() -> None:
    assert Key.hmac(bytes(range(32))).alg == "HS256"


def test_rsa_key_under_2048_bits_is_weak_however_it_arrives(weak_rsa: rsa.RSAPrivateKey) -> None:
    from cryptography.hazmat.primitives import serialization

    pem = weak_rsa.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    numbers = weak_rsa.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "n": b64url_encode(numbers.n.to_bytes(128, "big")),
        "e": b64url_encode(numbers.e.to_bytes(3, "big")),
    }
    assert _invalid(lambda: Key.from_cryptography(weak_rsa, "RS256"), WeakKey) == "weak_key"
    assert _invalid(lambda: Key.from_pem(pem, "PS256"), WeakKey) == "weak_key"
    assert _invalid(lambda: Key.from_jwk(jwk, alg="RS256"), WeakKey) == "weak_key"
    assert _invalid(lambda: Key.generate("RS256", rsa_bits=1024), WeakKey) == "weak_key"


def test_generated_rsa_keys_have_2048_bits(private_keys: dict[str, Key]) -> None:
    public = private_keys["RS256"].public_key().cryptography_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == 2048
    assert private_keys["RS256"].signature_length == 256


# --- algorithm confusion at key construction --------------------------------------------------


@pytest.mark.parametrize("alg", ASYMMETRIC_ALGORITHMS)
def test_public_key_pem_cannot_be_an_hmac_secret(alg: str, private_keys: dict[str, Key]) -> None:
    pem = private_keys[alg].public_pem()
    assert len(pem) >= 32  # long enough: refused for what it is, not for its length
    assert _invalid(lambda: Key.hmac(pem)) == "invalid_key"
    assert _invalid(lambda: Key.hmac(b"\n  " + pem)) == "invalid_key"
    jwk = {"kty": "oct", "k": b64url_encode(pem), "alg": "HS256"}
    assert _invalid(lambda: Key.from_jwk(jwk)) == "invalid_key"


def test_certificate_and_openssh_public_keys_cannot_be_hmac_secrets(
    private_keys: dict[str, Key],
) -> None:
    der = self_signed_certificate(private_keys["RS256"])
    certificate_pem = (
        b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
    )
    openssh = b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3jv4Xb6q9Zp8y2qkqkqkqkqkqkqkqkqkqkqkqkqkq"
    assert _invalid(lambda: Key.hmac(certificate_pem)) == "invalid_key"
    assert _invalid(lambda: Key.hmac(openssh)) == "invalid_key"


@pytest.mark.parametrize("alg", ASYMMETRIC_ALGORITHMS)
def test_asymmetric_algorithms_refuse_secrets(alg: str) -> None:
    assert _invalid(lambda: Key(alg, secret=bytes(32))) == "invalid_key"  # type: ignore[arg-type]


def test_hs256_refuses_asymmetric_keys(private_keys: dict[str, Key]) -> None:
    rsa_key = private_keys["RS256"].cryptography_key()
    assert _invalid(lambda: Key.from_cryptography(rsa_key, "HS256")) == "invalid_key"
    assert _invalid(lambda: Key.from_pem(private_keys["RS256"].public_pem(), "HS256"))


@pytest.mark.parametrize(
    ("key_alg", "wanted"),
    [
        ("RS256", "ES256"),
        ("RS256", "EdDSA"),
        ("ES256", "RS256"),
        ("ES256", "EdDSA"),
        ("EdDSA", "ES256"),
        ("EdDSA", "PS256"),
    ],
)
def test_key_material_must_fit_its_algorithm(
    key_alg: str, wanted: str, private_keys: dict[str, Key]
) -> None:
    key = private_keys[key_alg]
    assert _invalid(lambda: Key.from_pem(key.private_pem(), wanted)) == "invalid_key"  # type: ignore[arg-type]
    assert _invalid(lambda: Key.from_pem(key.public_pem(), wanted)) == "invalid_key"  # type: ignore[arg-type]
    assert _invalid(lambda: Key.from_jwk(key.public_jwk() | {"alg": wanted}))


def test_rsa_key_material_serves_rs256_or_ps256_but_each_key_has_one(
    private_keys: dict[str, Key],
) -> None:
    pem = private_keys["RS256"].private_pem()
    assert Key.from_pem(pem, "RS256").alg == "RS256"
    assert Key.from_pem(pem, "PS256").alg == "PS256"


def test_unsupported_algorithms_and_curves_are_refused() -> None:
    assert _invalid(lambda: Key.generate("RS512")) == "invalid_key"  # type: ignore[arg-type]
    assert _invalid(lambda: Key.generate("none")) == "invalid_key"  # type: ignore[arg-type]
    p384 = ec.generate_private_key(ec.SECP384R1())
    assert _invalid(lambda: Key.from_cryptography(p384, "ES256")) == "invalid_key"
    ed = ed448.Ed448PrivateKey.generate()
    assert _invalid(lambda: Key.from_cryptography(ed, "EdDSA")) == "invalid_key"  # type: ignore[arg-type]


# --- JWK import: hostile and malformed --------------------------------------------------------


def test_ec_point_not_on_the_curve_is_refused(private_keys: dict[str, Key]) -> None:
    jwk = private_keys["ES256"].public_jwk()
    y = int.from_bytes(b64url_decode(jwk["y"]), "big")
    off_curve = jwk | {"y": b64url_encode(((y + 1) % 2**256).to_bytes(32, "big"))}
    origin = jwk | {"x": b64url_encode(bytes(32)), "y": b64url_encode(bytes(32))}
    assert _invalid(lambda: Key.from_jwk(off_curve)) == "invalid_key"
    assert _invalid(lambda: Key.from_jwk(origin)) == "invalid_key"


@pytest.mark.parametrize("member", ["x", "y"])
@pytest.mark.parametrize("length", [31, 33])
def test_ec_coordinates_must_be_32_bytes(
    member: str, length: int, private_keys: dict[str, Key]
) -> None:
    # RFC 7518 §6.2.1.2: full-length octet strings, no leading-zero trimming or padding.
    jwk = private_keys["ES256"].public_jwk()
    value = b64url_decode(jwk[member])
    resized = value[-length:] if length < 32 else b"\x00" + value
    assert _invalid(lambda: Key.from_jwk(jwk | {member: b64url_encode(resized)}))


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256"])
def test_private_jwk_whose_halves_do_not_match_is_refused(
    alg: str, private_keys: dict[str, Key], other_keys: dict[str, Key]
) -> None:
    mine, other = private_keys[alg].private_jwk(), other_keys[alg].private_jwk()
    if alg == "RS256":
        mixed = mine | {name: other[name] for name in ("d", "p", "q", "dp", "dq", "qi")}
    else:
        mixed = mine | {"d": other["d"]}
    assert _invalid(lambda: Key.from_jwk(mixed)) == "invalid_key"


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(bytes(31))},
        {"kty": "OKP", "crv": "X25519", "x": b64url_encode(bytes(32))},
        {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
        {"kty": "RSA", "n": 5, "e": "AQAB", "alg": "RS256"},
        {"kty": "RSA", "n": "", "e": "AQAB", "alg": "RS256"},
        {"kty": "RSA", "n": "a+b/", "e": "AQAB", "alg": "RS256"},
        {"kty": "RSA", "n": "AQAB=", "e": "AQAB", "alg": "RS256"},
        {"kty": "RSA", "e": "AQAB", "alg": "RS256"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB", "alg": "RS256"},
        {"kty": "oct", "k": 5, "alg": "HS256"},
        {"kty": "dragon", "alg": "RS256"},
        {"kty": "RSA", "alg": "none"},
        {"kty": "RSA", "alg": ["RS256"]},
        {"alg": "RS256"},
        [],
        "RS256",
    ],
    ids=repr,
)
def test_malformed_jwks_are_invalid_keys(jwk: Any) -> None:
    assert _invalid(lambda: Key.from_jwk(jwk)) == "invalid_key"


def test_rsa_jwk_without_alg_is_ambiguous(private_keys: dict[str, Key]) -> None:
    jwk = {k: v for k, v in private_keys["RS256"].public_jwk().items() if k != "alg"}
    assert _invalid(lambda: Key.from_jwk(jwk)) == "invalid_key"
    assert Key.from_jwk(jwk, alg="PS256").alg == "PS256"


def test_jwk_alg_must_agree_with_the_requested_alg(private_keys: dict[str, Key]) -> None:
    jwk = private_keys["RS256"].public_jwk()
    assert _invalid(lambda: Key.from_jwk(jwk, alg="PS256")) == "invalid_key"


@pytest.mark.parametrize("use", ["enc", "", "SIG"])
def test_jwk_for_another_use_is_refused(use: str, private_keys: dict[str, Key]) -> None:
    jwk = private_keys["ES256"].public_jwk() | {"use": use}
    assert _invalid(lambda: Key.from_jwk(jwk)) == "invalid_key"


@pytest.mark.parametrize("kid", ["", 5, ["k"]])
def test_jwk_kid_must_be_a_non_empty_string(kid: object, private_keys: dict[str, Key]) -> None:
    jwk = private_keys["ES256"].public_jwk() | {"kid": kid}
    assert _invalid(lambda: Key.from_jwk(jwk)) == "invalid_key"


# --- export -----------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ASYMMETRIC_ALGORITHMS)
def test_public_jwk_has_exactly_the_published_members(
    alg: str, private_keys: dict[str, Key]
) -> None:
    key = private_keys[alg]
    jwk = key.public_jwk()
    assert jwk["kid"] == key.kid and jwk["alg"] == alg and jwk["use"] == "sig"
    assert not PRIVATE_MEMBERS & jwk.keys()
    assert key.public_key().public_jwk() == jwk
    expected = {
        "RSA": {"kty", "n", "e"},
        "EC": {"kty", "crv", "x", "y"},
        "OKP": {"kty", "crv", "x"},
    }[jwk["kty"]]
    assert jwk.keys() == expected | {"kid", "alg", "use"}


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_private_jwk_round_trips_to_an_equal_key(alg: str, private_keys: dict[str, Key]) -> None:
    key = private_keys[alg]
    again = Key.from_jwk(key.private_jwk(), alg=alg)  # type: ignore[arg-type]
    assert again.is_private and again.kid == key.kid and again.thumbprint() == key.thumbprint()
    token = encode({"sub": "x", "exp": 1}, again)
    key.public_key().verify(*_split_signature(token))


def _split_signature(token: str) -> tuple[bytes, bytes]:
    head, payload, signature = token.split(".")
    return f"{head}.{payload}".encode(), b64url_decode(signature)


def test_hmac_secrets_are_never_published(private_keys: dict[str, Key]) -> None:
    key = private_keys["HS256"]
    assert _invalid(key.public_jwk) == "invalid_key"
    assert _invalid(lambda: KeySet([key]).to_jwks()) == "invalid_key"
    assert key.public_key() is key  # nothing to strip: HS256 stays symmetric


@pytest.mark.parametrize("alg", ASYMMETRIC_ALGORITHMS)
def test_public_keys_cannot_sign_or_export_private_parts(
    alg: str, private_keys: dict[str, Key]
) -> None:
    public = private_keys[alg].public_key()
    assert not public.is_private
    assert _invalid(lambda: public.sign(b"data")) == "invalid_key"
    assert _invalid(lambda: encode({"sub": "x"}, public)) == "invalid_key"
    assert _invalid(public.private_jwk) == "invalid_key"
    assert _invalid(public.private_pem) == "invalid_key"


@pytest.mark.parametrize("alg", ASYMMETRIC_ALGORITHMS)
def test_pem_round_trip_with_and_without_a_password(alg: str, private_keys: dict[str, Key]) -> None:
    key = private_keys[alg]
    plain = Key.from_pem(key.private_pem(), alg)  # type: ignore[arg-type]
    sealed_pem = key.private_pem(password=b"correct horse")
    sealed = Key.from_pem(sealed_pem, alg, password=b"correct horse")  # type: ignore[arg-type]
    public = Key.from_pem(key.public_pem(), alg)  # type: ignore[arg-type]

    assert b"ENCRYPTED" in sealed_pem
    # PEM carries no kid: each defaults to the RFC 7638 thumbprint of the same key.
    assert plain.kid == sealed.kid == public.kid == key.thumbprint()
    assert plain.is_private and sealed.is_private and not public.is_private
    assert _invalid(lambda: Key.from_pem(sealed_pem, alg, password=b"wrong")) == "invalid_key"  # type: ignore[arg-type]
    assert _invalid(lambda: Key.from_pem(sealed_pem, alg)) == "invalid_key"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "pem",
    [b"", b"garbage", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"],
    ids=repr,
)
def test_garbage_pem_is_an_invalid_key(pem: bytes) -> None:
    assert _invalid(lambda: Key.from_pem(pem, "ES256")) == "invalid_key"


def test_certificate_pem_loads_as_its_public_key(private_keys: dict[str, Key]) -> None:
    key = private_keys["RS256"]
    der = self_signed_certificate(key)
    pem = (
        b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
    )
    loaded = Key.from_pem(pem, "RS256")
    assert not loaded.is_private and loaded.kid == key.thumbprint()


def test_x5c_in_an_imported_jwk_is_published_again(private_keys: dict[str, Key]) -> None:
    key = private_keys["RS256"]
    der = self_signed_certificate(key)
    jwk = key.with_certificate(der).public_jwk()
    again = Key.from_jwk(jwk)
    assert again.certificate == der
    assert again.public_jwk()["x5c"] == jwk["x5c"]
    assert _invalid(lambda: Key.from_jwk(jwk | {"x5c": ["not base64!"]})) == "invalid_key"


# --- KeySet and JWKS documents ----------------------------------------------------------------


def test_key_set_refuses_two_keys_with_one_kid(
    private_keys: dict[str, Key], other_keys: dict[str, Key]
) -> None:
    with pytest.raises(InvalidKeySet) as raised:
        KeySet([private_keys["ES256"], other_keys["ES256"]])
    assert raised.value.code == "invalid_jwks"


def test_key_set_finds_keys_by_kid(private_keys: dict[str, Key]) -> None:
    keys = KeySet(private_keys[alg].public_key() for alg in ASYMMETRIC_ALGORITHMS)
    es = private_keys["ES256"]
    assert keys.get(es.kid) is not None and keys.get(es.kid).kid == es.kid  # type: ignore[union-attr]
    assert keys.get("nope") is None
    assert keys.get(None) is None  # no kid and several keys: ambiguous
    with pytest.raises(UnknownKey) as unknown:
        keys.require("nope")
    assert unknown.value.code == "unknown_kid"
    with pytest.raises(MissingKeyId) as missing:
        keys.require(None)
    assert missing.value.code == "missing_kid"
    assert len(keys) == 4 and es.kid in keys and "nope" not in keys


@pytest.mark.parametrize(
    "document", [[], "keys", None, {}, {"keys": 5}, {"keys": {"a": 1}}, {"key": []}], ids=repr
)
def test_jwks_document_that_is_not_an_object_with_a_keys_array_is_invalid(document: Any) -> None:
    with pytest.raises(InvalidKeySet) as raised:
        KeySet.from_jwks(document)
    assert raised.value.code == "invalid_jwks"


def test_jwks_import_keeps_only_usable_signature_keys(
    private_keys: dict[str, Key], other_keys: dict[str, Key]
) -> None:
    good = [private_keys[alg].public_jwk() for alg in ASYMMETRIC_ALGORITHMS]
    document = {
        "keys": [
            *good,
            {"kty": "oct", "k": b64url_encode(bytes(32)), "alg": "HS256", "kid": "secret"},
            other_keys["ES256"].public_jwk() | {"kid": "enc", "use": "enc"},
            {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": "broken"},
            other_keys["ES256"].public_jwk(),  # duplicate kid of an earlier key: skipped
        ]
    }
    keys = KeySet.from_jwks(document)
    assert sorted(key.kid for key in keys) == sorted(jwk["kid"] for jwk in good)
    # The first key with a kid wins; the later duplicate is ignored.
    assert keys.get(private_keys["ES256"].kid).thumbprint() == private_keys["ES256"].thumbprint()  # type: ignore[union-attr]


@pytest.mark.parametrize("entry", [5, "x", None, [], True])
def test_jwks_with_an_entry_that_is_not_an_object_is_garbage(
    private_keys: dict[str, Key], entry: object
) -> None:
    # Garbage must raise (and so never replace keys a client holds), unlike a well-formed
    # JWK that we merely cannot use, which is skipped.
    document = {"keys": [private_keys["ES256"].public_jwk(), entry]}
    with pytest.raises(InvalidKeySet):
        KeySet.from_jwks(document)


def test_jwks_import_drops_algorithms_the_verifier_does_not_allow(
    private_keys: dict[str, Key],
) -> None:
    document = KeySet(private_keys[alg].public_key() for alg in ASYMMETRIC_ALGORITHMS).to_jwks()
    keys = KeySet.from_jwks(document, algorithms=("ES256",))
    assert [key.alg for key in keys] == ["ES256"]


def test_rsa_jwk_without_alg_takes_the_only_allowed_rsa_algorithm(
    private_keys: dict[str, Key],
) -> None:
    jwk = {k: v for k, v in private_keys["RS256"].public_jwk().items() if k != "alg"}
    assert [k.alg for k in KeySet.from_jwks({"keys": [jwk]}, algorithms=("PS256",))] == ["PS256"]
    assert len(KeySet.from_jwks({"keys": [jwk]}, algorithms=("RS256", "PS256"))) == 0


def test_jwks_import_holds_at_most_max_keys() -> None:
    document = {"keys": [Key.generate("EdDSA").public_jwk() for _ in range(12)]}
    assert len(KeySet.from_jwks(document, max_keys=5)) == 5
    assert len(KeySet.from_jwks(document)) == 12


def test_jwks_round_trip_preserves_every_key(private_keys: dict[str, Key]) -> None:
    original = KeySet(private_keys[alg].public_key() for alg in ASYMMETRIC_ALGORITHMS)
    again = KeySet.from_jwks(original.to_jwks())
    assert again.to_jwks() == original.to_jwks()
