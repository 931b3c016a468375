"""Hostile compact JWS input: one test per rejection, each asserting its stable ``code``.

Every hostile token here is otherwise valid (signed by a key the verifier trusts, with
acceptable claims) unless the test says so, so the only reason left to refuse it is the
defect under test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from jotauth.jose import (
    ALGORITHMS,
    AlgorithmMismatch,
    BadSignature,
    InvalidToken,
    Key,
    KeySet,
    MalformedToken,
    encode,
)
from jotauth.jose._encoding import b64url_decode, b64url_encode
from jotauth.jose.jws import parse_compact, verify_signature
from jotauth.keys import self_signed_certificate
from jotauth.verify import TokenVerifier

ISSUER = "https://auth.example.test"
AUDIENCE = "lessons-api"
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "sub": "user-42", "aud": AUDIENCE, "exp": now + 600, "iat": now, **extra}


def _segment(value: dict[str, Any] | bytes) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value, separators=(",", ":")).encode()
    return b64url_encode(raw)


def _signed(key: Key, header: dict[str, Any] | bytes, payload: dict[str, Any] | bytes) -> str:
    """A token signed by ``key`` over exactly the header and payload given (no checks)."""
    signing_input = f"{_segment(header)}.{_segment(payload)}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode('ascii')))}"


def _header(key: Key, **extra: Any) -> dict[str, Any]:
    return {"alg": key.alg, "kid": key.kid, "typ": "at+jwt", **extra}


@pytest.fixture(scope="module")
def verifier(private_keys: dict[str, Key]) -> TokenVerifier:
    """Trusts every algorithm's key, so no rejection below is for an unknown key."""
    return TokenVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        keys=KeySet(key.public_key() for key in private_keys.values()),
        algorithms=ALGORITHMS,
        cache_size=0,
    )


@pytest.fixture(scope="module")
def rsa(private_keys: dict[str, Key]) -> Key:
    return private_keys["RS256"]


def _code(verifier: TokenVerifier, token: str | bytes) -> str:
    with pytest.raises(InvalidToken) as raised:
        verifier.verify(token)
    return raised.value.code


def _parse_code(token: str | bytes, **options: Any) -> str:
    with pytest.raises(InvalidToken) as raised:
        parse_compact(token, **options)
    return raised.value.code


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_baseline_the_well_formed_token_is_accepted(
    alg: str, verifier: TokenVerifier, private_keys: dict[str, Key]
) -> None:
    key = private_keys[alg]
    assert verifier.verify(_signed(key, _header(key), _claims())).sub == "user-42"


# --- alg: none --------------------------------------------------------------------------------


@pytest.mark.parametrize("none", ["none", "None", "NONE", "nOnE"])
@pytest.mark.parametrize("signature", ["", "c2lnbmF0dXJl"], ids=["empty", "non-empty"])
def test_unsecured_alg_none_is_refused_in_any_case(
    none: str, signature: str, verifier: TokenVerifier, rsa: Key
) -> None:
    token = f"{_segment({'alg': none, 'kid': rsa.kid, 'typ': 'at+jwt'})}.{_segment(_claims())}."
    token += signature
    assert _parse_code(token) == "alg_none"
    assert _code(verifier, token) == "alg_none"


@pytest.mark.parametrize("alg", [None, "", 5, ["RS256"], {"alg": "RS256"}], ids=repr)
def test_missing_or_non_string_alg_is_a_bad_header(alg: object, rsa: Key) -> None:
    header: dict[str, Any] = {"kid": rsa.kid, "typ": "at+jwt"}
    if alg is not None:
        header["alg"] = alg
    assert _parse_code(_signed(rsa, header, _claims())) == "bad_header"


@pytest.mark.parametrize("alg", ["HS512", "RS384", "ES512", "Ed25519", "rs256"])
def test_algorithm_outside_the_allowlist_is_unsupported(
    alg: str, verifier: TokenVerifier, rsa: Key
) -> None:
    token = _signed(rsa, _header(rsa, alg=alg), _claims())
    assert _code(verifier, token) == "unsupported_alg"


def test_allowed_algorithm_family_is_narrowed_per_verifier(private_keys: dict[str, Key]) -> None:
    es = private_keys["ES256"]
    only_rsa = TokenVerifier(
        issuer=ISSUER, audience=AUDIENCE, keys=KeySet([es.public_key()]), algorithms=("RS256",)
    )
    assert _code(only_rsa, encode(_claims(), es)) == "unsupported_alg"


# --- algorithm confusion ----------------------------------------------------------------------


def _hs256_with_secret(secret: bytes, header: dict[str, Any], payload: dict[str, Any]) -> str:
    signing_input = f"{_segment(header)}.{_segment(payload)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url_encode(mac)}"


@pytest.mark.parametrize("algorithms", [("RS256", "HS256"), ALGORITHMS])
def test_hs256_token_signed_with_the_rsa_public_pem_is_an_alg_mismatch(
    algorithms: tuple[Any, ...], rsa: Key
) -> None:
    # The classic confusion: the attacker knows the public key and uses its PEM as an HMAC
    # secret. The key in our set is RSA, bound to RS256, so HS256 can never reach it.
    public = rsa.public_key()
    token = _hs256_with_secret(
        public.public_pem(), {"alg": "HS256", "kid": rsa.kid, "typ": "at+jwt"}, _claims()
    )
    verifier = TokenVerifier(
        issuer=ISSUER, audience=AUDIENCE, keys=KeySet([public]), algorithms=algorithms
    )

    assert _code(verifier, token) == "alg_mismatch"
    with pytest.raises(AlgorithmMismatch):
        verify_signature(parse_compact(token), public)


def test_hs256_confusion_token_is_unsupported_where_only_rs256_is_allowed(rsa: Key) -> None:
    public = rsa.public_key()
    token = _hs256_with_secret(
        public.public_pem(), {"alg": "HS256", "kid": rsa.kid, "typ": "at+jwt"}, _claims()
    )
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=KeySet([public]))
    assert _code(verifier, token) == "unsupported_alg"


@pytest.mark.parametrize(
    ("token_alg", "key_alg"), [(t, k) for t in ALGORITHMS for k in ALGORITHMS if t != k]
)
def test_header_alg_must_equal_the_keys_own_algorithm(
    token_alg: str, key_alg: str, private_keys: dict[str, Key]
) -> None:
    signer = private_keys[token_alg]
    token = _signed(signer, _header(signer), _claims())
    with pytest.raises(AlgorithmMismatch) as raised:
        verify_signature(parse_compact(token), private_keys[key_alg].public_key())
    assert raised.value.code == "alg_mismatch"


def test_ps256_header_on_an_rs256_key_of_the_same_material_is_an_alg_mismatch(rsa: Key) -> None:
    ps = Key.from_pem(rsa.private_pem(), "PS256", kid="ps")
    token = _signed(ps, {"alg": "PS256", "kid": rsa.kid, "typ": "at+jwt"}, _claims())
    verifier = TokenVerifier(
        issuer=ISSUER, audience=AUDIENCE, keys=KeySet([rsa.public_key()]), algorithms=ALGORITHMS
    )
    assert _code(verifier, token) == "alg_mismatch"


# --- header-supplied keys and crit ------------------------------------------------------------


@pytest.mark.parametrize("parameter", ["jwk", "jku", "x5u", "x5c"])
def test_key_bearing_header_parameters_are_refused(
    parameter: str, verifier: TokenVerifier, rsa: Key
) -> None:
    # Even when the embedded key is the genuine one: a token never chooses its own key.
    values = {
        "jwk": rsa.public_jwk(),
        "jku": "https://evil.example.test/jwks.json",
        "x5u": "https://evil.example.test/cert.pem",
        "x5c": [base64.b64encode(self_signed_certificate(rsa)).decode()],
    }
    token = _signed(rsa, _header(rsa, **{parameter: values[parameter]}), _claims())
    assert _parse_code(token) == "header_key_forbidden"
    assert _code(verifier, token) == "header_key_forbidden"


@pytest.mark.parametrize("parameter", ["jwk", "jku", "x5u", "x5c", "crit", "alg", "kid"])
def test_encode_refuses_to_write_key_bearing_or_reserved_headers(parameter: str, rsa: Key) -> None:
    with pytest.raises(ValueError):
        encode(_claims(), rsa, headers={parameter: "x"})


@pytest.mark.parametrize(
    "extension",
    [{"crit": ["exp"], "exp": 1}, {"crit": ["b64"], "b64": False}, {"crit": []}, {"crit": "x"}],
    ids=["exp", "b64", "empty", "not-a-list"],
)
def test_any_critical_header_extension_is_refused(
    extension: dict[str, Any], verifier: TokenVerifier, rsa: Key
) -> None:
    token = _signed(rsa, _header(rsa, **extension), _claims())
    assert _code(verifier, token) == "unknown_crit"


@pytest.mark.parametrize("kid", [5, "", ["k"], True])
def test_kid_that_is_not_a_non_empty_string_is_a_bad_header(kid: object, rsa: Key) -> None:
    token = _signed(rsa, _header(rsa, kid=kid), _claims())
    assert _parse_code(token) == "bad_header"


@pytest.mark.parametrize("typ", [5, ["at+jwt"], {"typ": "at+jwt"}])
def test_typ_that_is_not_a_string_is_a_bad_header(typ: object, rsa: Key) -> None:
    assert _parse_code(_signed(rsa, _header(rsa, typ=typ), _claims())) == "bad_header"


def test_unknown_non_critical_header_parameters_are_ignored(
    verifier: TokenVerifier, rsa: Key
) -> None:
    token = _signed(rsa, _header(rsa, cty="JWT", x_custom={"a": 1}), _claims())
    assert verifier.verify(token).sub == "user-42"


# --- kid lookup -------------------------------------------------------------------------------


def test_unknown_kid_is_refused(verifier: TokenVerifier, rsa: Key) -> None:
    assert _code(verifier, _signed(rsa, _header(rsa, kid="no-such-key"), _claims())) == (
        "unknown_kid"
    )


def test_missing_kid_with_several_keys_is_refused(verifier: TokenVerifier, rsa: Key) -> None:
    header = {"alg": "RS256", "typ": "at+jwt"}
    assert _code(verifier, _signed(rsa, header, _claims())) == "missing_kid"


def test_missing_kid_with_exactly_one_key_uses_that_key(rsa: Key) -> None:
    single = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=KeySet([rsa.public_key()]))
    token = _signed(rsa, {"alg": "RS256", "typ": "at+jwt"}, _claims())
    assert single.verify(token).sub == "user-42"


# --- segments ---------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 4, 5, 6])
def test_wrong_number_of_segments_is_refused(count: int, verifier: TokenVerifier, rsa: Key) -> None:
    head, payload, signature = encode(_claims(), rsa).split(".")
    segments = [head, payload, signature, "eHl6", "eHl6", "eHl6"]
    token = ".".join(segments[:count])
    assert _parse_code(token) == "bad_segments"
    assert _code(verifier, token) == "bad_segments"


def test_five_segments_is_named_as_jwe(rsa: Key) -> None:
    with pytest.raises(InvalidToken, match="JWE"):
        parse_compact(encode(_claims(), rsa) + ".a.b")


@pytest.mark.parametrize("token", ["", ".", "..", "...", "..c2ln"])
def test_empty_or_headerless_tokens_are_refused(token: str) -> None:
    assert _parse_code(token) in {"bad_segments"}


# --- base64url --------------------------------------------------------------------------------


def _replace_segment(token: str, index: int, segment: str) -> str:
    parts = token.split(".")
    parts[index] = segment
    return ".".join(parts)


def _mutated(token: str, index: int, change: Any, key: Key) -> str:
    """``token`` with segment ``index`` changed; a changed header or payload is signed
    again by ``key``, so the signature is valid over the hostile text and the only thing
    wrong with the token is the change itself."""
    parts = token.split(".")
    parts[index] = change(parts[index])
    if index < 2:
        signing_input = f"{parts[0]}.{parts[1]}".encode()
        parts[2] = b64url_encode(key.sign(signing_input))
    return ".".join(parts)


SEGMENTS = [0, 1, 2]
SEGMENT_IDS = ["header", "payload", "signature"]


@pytest.mark.parametrize("index", SEGMENTS, ids=SEGMENT_IDS)
@pytest.mark.parametrize("padding", ["=", "==", "==="])
def test_padding_is_refused(index: int, padding: str, verifier: TokenVerifier, rsa: Key) -> None:
    token = _mutated(encode(_claims(), rsa), index, lambda segment: segment + padding, rsa)
    assert _code(verifier, token) == "bad_base64"


def test_correctly_padded_standard_base64_of_the_same_bytes_is_refused(
    verifier: TokenVerifier, rsa: Key
) -> None:
    # What a careless signer emits: base64 with '=' padding for every segment.
    token = encode(_claims(), rsa)
    header, payload, _ = (b64url_decode(part) for part in token.split("."))
    signing_input = (
        f"{base64.urlsafe_b64encode(header).decode()}.{base64.urlsafe_b64encode(payload).decode()}"
    )
    assert "=" in signing_input
    signature = base64.urlsafe_b64encode(rsa.sign(signing_input.encode())).decode()
    assert _code(verifier, f"{signing_input}.{signature}") == "bad_base64"


@pytest.mark.parametrize("index", SEGMENTS, ids=SEGMENT_IDS)
@pytest.mark.parametrize("character", ["+", "/"])
def test_standard_alphabet_characters_are_refused(
    index: int, character: str, verifier: TokenVerifier, rsa: Key
) -> None:
    def change(segment: str) -> str:
        middle = len(segment) // 2
        return segment[:middle] + character + segment[middle + 1 :]

    assert _code(verifier, _mutated(encode(_claims(), rsa), index, change, rsa)) == "bad_base64"


@pytest.mark.parametrize("index", SEGMENTS, ids=SEGMENT_IDS)
@pytest.mark.parametrize("space", [" ", "\n", "\r\n", "\t", "\x0b", "\x0c"], ids=repr)
def test_whitespace_inside_a_segment_is_refused(
    index: int, space: str, verifier: TokenVerifier, rsa: Key
) -> None:
    token = _mutated(encode(_claims(), rsa), index, lambda seg: seg[:8] + space + seg[8:], rsa)
    assert _code(verifier, token) == "bad_base64"


@pytest.mark.parametrize("affix", [" ", "\n", "\t"], ids=repr)
def test_whitespace_around_the_token_is_refused(
    affix: str, verifier: TokenVerifier, rsa: Key
) -> None:
    token = encode(_claims(), rsa)
    assert _code(verifier, affix + token) == "bad_base64"
    assert _code(verifier, token + affix) == "bad_base64"


@pytest.mark.parametrize("character", ["é", "\u200b", "\U0001f511", "\uff41"], ids=repr)
def test_non_ascii_text_is_malformed(character: str, verifier: TokenVerifier, rsa: Key) -> None:
    token = encode(_claims(), rsa)
    hostile = token[:10] + character + token[10:]
    with pytest.raises(MalformedToken) as raised:
        verifier.verify(hostile)
    assert raised.value.code == "malformed_token"


@pytest.mark.parametrize("index", SEGMENTS, ids=SEGMENT_IDS)
@pytest.mark.parametrize("inserted", ["é".encode(), b"\x00", b"\xff"], ids=repr)
def test_non_ascii_bytes_are_bad_base64(
    index: int, inserted: bytes, verifier: TokenVerifier, rsa: Key
) -> None:
    parts = [part.encode() for part in encode(_claims(), rsa).split(".")]
    parts[index] = parts[index][:8] + inserted + parts[index][8:]
    if index < 2:
        parts[2] = b64url_encode(rsa.sign(parts[0] + b"." + parts[1])).encode()
    assert _code(verifier, b".".join(parts)) == "bad_base64"


@pytest.mark.parametrize("index", SEGMENTS, ids=SEGMENT_IDS)
def test_segment_length_of_one_mod_four_is_refused(
    index: int, verifier: TokenVerifier, rsa: Key
) -> None:
    def change(segment: str) -> str:
        return segment + "A" * ((1 - len(segment)) % 4)

    token = _mutated(encode(_claims(), rsa), index, change, rsa)
    assert len(token.split(".")[index]) % 4 == 1
    assert _code(verifier, token) == "bad_base64"


def _with_remainder(key: Key, index: int) -> str:
    """A valid token whose segment ``index`` has unused trailing bits (length % 4 != 0)."""
    for pad in range(8):
        header = _header(key, **({"x-pad": "p" * pad} if index == 0 else {}))
        payload = _claims(**({"pad": "p" * pad} if index == 1 else {}))
        token = _signed(key, header, payload)
        if len(token.split(".")[index]) % 4:
            return token
    raise AssertionError("unreachable: some padding length gives a remainder")


@pytest.mark.parametrize("index", SEGMENTS, ids=SEGMENT_IDS)
@pytest.mark.parametrize("alg", ALGORITHMS)
def test_non_canonical_trailing_bits_are_refused(
    index: int, alg: str, verifier: TokenVerifier, private_keys: dict[str, Key]
) -> None:
    # RFC 4648 §3.5: set an unused bit of the last character. A lenient decoder maps the
    # variant to the same bytes, which would let one token have many spellings (and many
    # entries in a cache keyed by token text).
    key = private_keys[alg]
    token = _with_remainder(key, index)
    assert verifier.verify(token)
    segment = token.split(".")[index]
    variant = segment[:-1] + _ALPHABET[_ALPHABET.index(segment[-1]) | 1]
    assert variant != segment
    lenient = base64.urlsafe_b64decode(variant + "=" * (-len(variant) % 4))
    assert lenient == b64url_decode(segment)  # really the same bytes, spelled differently
    assert _code(verifier, _mutated(token, index, lambda _: variant, key)) == "bad_base64"


# --- JSON -------------------------------------------------------------------------------------

NOT_JSON = [
    b"not json",
    b"{",
    b"\xff\xfe{}",
    b'{"alg":"RS256"} trailing',
    b"\xef\xbb\xbf{}",
    b"{'alg':'RS256'}",
    b'{"alg":"RS256",}',
]
NOT_OBJECTS = [b"[]", b'["RS256"]', b'"RS256"', b"5", b"null", b"true"]


@pytest.mark.parametrize("header", NOT_JSON + NOT_OBJECTS, ids=repr)
def test_header_that_is_not_a_json_object_is_bad_json(header: bytes, rsa: Key) -> None:
    assert _parse_code(_signed(rsa, header, _claims())) == "bad_json"


@pytest.mark.parametrize("payload", [b"", *NOT_JSON, *NOT_OBJECTS], ids=repr)
def test_payload_that_is_not_a_json_object_is_bad_json(
    payload: bytes, verifier: TokenVerifier, rsa: Key
) -> None:
    # Signed by the trusted key: the payload is only parsed after the signature verifies.
    assert _code(verifier, _signed(rsa, _header(rsa), payload)) == "bad_json"


def test_duplicate_header_member_is_refused(rsa: Key) -> None:
    # Two parsers could pick different alg values (RFC 7515 §5.2).
    header = f'{{"alg":"none","kid":"{rsa.kid}","alg":"RS256","typ":"at+jwt"}}'.encode()
    assert _parse_code(_signed(rsa, header, _claims())) == "duplicate_json_key"


def test_duplicate_top_level_claim_is_refused(verifier: TokenVerifier, rsa: Key) -> None:
    body = json.dumps(_claims())[:-1] + ', "sub": "admin"}'
    assert _code(verifier, _signed(rsa, _header(rsa), body.encode())) == "duplicate_json_key"


@pytest.mark.parametrize(
    "nested",
    ['{"cnf": {"jkt": "a", "jkt": "b"}}', '{"x": [{"k": 1}, {"k": 1, "k": 2}]}'],
    ids=["object", "object-in-array"],
)
def test_duplicate_nested_member_is_refused(nested: str, verifier: TokenVerifier, rsa: Key) -> None:
    body = json.dumps(_claims())[:-1] + ", " + nested[1:]
    assert _code(verifier, _signed(rsa, _header(rsa), body.encode())) == "duplicate_json_key"


@pytest.mark.parametrize("index", [0, 1], ids=["header", "payload"])
def test_deeply_nested_json_is_bad_json_not_a_recursion_error(index: int, rsa: Key) -> None:
    deep = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    parts = [_segment(_header(rsa)), _segment(_claims()), "c2ln"]
    parts[index] = _segment(deep)
    token = ".".join(parts)
    with pytest.raises(InvalidToken) as raised:
        parse_compact(token, max_bytes=len(token)).payload()
    assert raised.value.code == "bad_json"


# --- size -------------------------------------------------------------------------------------


def _token_of_length(key: Key, length: int) -> str:
    base = _signed(key, _header(key), _claims(pad=""))
    pad = 0
    token = base
    while len(token) < length:
        pad += max(1, (length - len(token)) * 3 // 4 - 2)
        token = _signed(key, _header(key), _claims(pad="p" * pad))
    while len(token) > length:
        pad -= 1
        token = _signed(key, _header(key), _claims(pad="p" * pad))
    return token


def test_token_of_exactly_8_kib_is_accepted_and_one_byte_more_is_too_large(
    verifier: TokenVerifier, private_keys: dict[str, Key]
) -> None:
    key = private_keys["HS256"]  # HMAC: the size search signs many times
    for length in range(8192, 8180, -1):
        token = _token_of_length(key, length)
        if len(token) == length:
            break
    assert verifier.verify(token).sub == "user-42"
    assert len(token) <= 8192
    too_large = _token_of_length(key, 8193 + 3)
    assert len(too_large) > 8192
    assert _code(verifier, too_large) == "token_too_large"
    assert _code(verifier, too_large.encode()) == "token_too_large"


def test_size_limit_is_checked_before_any_parsing(verifier: TokenVerifier) -> None:
    assert _code(verifier, "é" * 10_000_000) == "token_too_large"
    assert _code(verifier, b"\xff" * 10_000_000) == "token_too_large"


def test_custom_size_limit_applies_to_text_and_bytes(private_keys: dict[str, Key]) -> None:
    key = private_keys["HS256"]
    small = TokenVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        keys=KeySet([key]),
        algorithms=("HS256",),
        max_token_bytes=400,
    )
    fits = _token_of_length(key, 400)
    assert len(fits) <= 400
    assert small.verify(fits).sub == "user-42"
    bigger = _token_of_length(key, 404)
    assert len(bigger) > 400
    assert _code(small, bigger) == "token_too_large"
    assert _code(small, bigger.encode()) == "token_too_large"
    assert _parse_code(bigger, max_bytes=400) == "token_too_large"


# --- signatures -------------------------------------------------------------------------------


def _es256_token_with(r: int, s: int, key: Key) -> str:
    signing_input = f"{_segment(_header(key))}.{_segment(_claims())}"
    return f"{signing_input}.{b64url_encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


@pytest.mark.parametrize(
    ("r", "s"),
    [
        (0, 0),
        (0, 1),
        (1, 0),
        (P256_ORDER, 1),
        (1, P256_ORDER),
        (P256_ORDER, P256_ORDER),
        (2**256 - 1, 1),
        (1, 2**256 - 1),
    ],
    ids=["r=s=0", "r=0", "s=0", "r=n", "s=n", "r=s=n", "r=max", "s=max"],
)
def test_ecdsa_components_outside_1_to_n_minus_1_are_refused(
    r: int, s: int, verifier: TokenVerifier, private_keys: dict[str, Key]
) -> None:
    # CVE-2022-21449 ("psychic signatures"): r = s = 0 verified anything in Java 15-18.
    token = _es256_token_with(r, s, private_keys["ES256"])
    assert _code(verifier, token) == "signature_out_of_range"


def test_ecdsa_components_just_inside_the_range_are_merely_wrong(
    verifier: TokenVerifier, private_keys: dict[str, Key]
) -> None:
    token = _es256_token_with(P256_ORDER - 1, P256_ORDER - 1, private_keys["ES256"])
    with pytest.raises(BadSignature) as raised:
        verifier.verify(token)
    assert type(raised.value) is BadSignature
    assert raised.value.code == "bad_signature"


def test_rsa_signature_not_below_the_modulus_is_merely_wrong(
    verifier: TokenVerifier, rsa: Key
) -> None:
    token = encode(_claims(), rsa)
    for signature in (b"\xff" * 256, b"\x00" * 256):
        with pytest.raises(BadSignature) as raised:
            verifier.verify(_replace_segment(token, 2, b64url_encode(signature)))
        assert raised.value.code == "bad_signature"


@pytest.mark.parametrize("salt_length", [0, 20, 64, "max"])
def test_ps256_salt_must_be_the_hash_length(
    salt_length: int | str, verifier: TokenVerifier, private_keys: dict[str, Key]
) -> None:
    # RFC 7518 §3.5: the PSS salt is as long as the SHA-256 output (32 bytes), nothing else.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = private_keys["PS256"]
    private = key.cryptography_key()
    assert isinstance(private, rsa.RSAPrivateKey)
    signing_input = f"{_segment(_header(key))}.{_segment(_claims())}"
    salt = padding.PSS.MAX_LENGTH if salt_length == "max" else salt_length
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt)  # type: ignore[arg-type]
    signature = private.sign(signing_input.encode(), pss, hashes.SHA256())
    assert _code(verifier, f"{signing_input}.{b64url_encode(signature)}") == "bad_signature"
    standard = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    good = private.sign(signing_input.encode(), standard, hashes.SHA256())
    assert verifier.verify(f"{signing_input}.{b64url_encode(good)}").sub == "user-42"


def test_malleated_ed25519_signature_with_s_plus_l_is_refused(
    verifier: TokenVerifier, private_keys: dict[str, Key]
) -> None:
    # RFC 8032 §5.1.7: S must be below the group order L, or one signature has two spellings.
    group_order = 2**252 + 27742317777372353535851937790883648493
    token = encode(_claims(), private_keys["EdDSA"])
    signature = b64url_decode(token.split(".")[2])
    s = int.from_bytes(signature[32:], "little")
    malleated = signature[:32] + (s + group_order).to_bytes(32, "little")
    assert _code(verifier, _replace_segment(token, 2, b64url_encode(malleated))) == (
        "bad_signature"
    )


def _with_signature(token: str, signature: bytes) -> str:
    return _replace_segment(token, 2, b64url_encode(signature))


@pytest.mark.parametrize("alg", ALGORITHMS)
@pytest.mark.parametrize(
    "change",
    [
        lambda s: s[:-1],
        lambda s: s + b"\x00",
        lambda s: b"\x00" + s,
        lambda s: b"",
        lambda s: s * 2,
    ],
    ids=["truncated", "extended", "zero-prefixed", "empty", "doubled"],
)
def test_signature_of_the_wrong_length_is_refused(
    alg: str, change: Any, verifier: TokenVerifier, private_keys: dict[str, Key]
) -> None:
    token = encode(_claims(), private_keys[alg])
    signature = b64url_decode(token.split(".")[2])
    assert _code(verifier, _with_signature(token, change(signature))) == "bad_signature_length"


def test_der_encoded_ecdsa_signature_is_the_wrong_length(
    verifier: TokenVerifier, private_keys: dict[str, Key]
) -> None:
    # A common interop mistake: JWS wants raw r || s (RFC 7518 §3.4), not ASN.1 DER.
    token = encode(_claims(), private_keys["ES256"])
    raw = b64url_decode(token.split(".")[2])
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    assert _code(verifier, _with_signature(token, der)) == "bad_signature_length"


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_signature_by_another_key_with_the_same_kid_is_refused(
    alg: str, verifier: TokenVerifier, other_keys: dict[str, Key]
) -> None:
    with pytest.raises(BadSignature) as raised:
        verifier.verify(encode(_claims(), other_keys[alg]))
    assert type(raised.value) is BadSignature
    assert raised.value.code == "bad_signature"


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_signature_of_another_token_is_refused(
    alg: str, verifier: TokenVerifier, private_keys: dict[str, Key]
) -> None:
    key = private_keys[alg]
    victim = encode(_claims(sub="user-42"), key)
    forged = encode(_claims(sub="admin"), key)
    spliced = _replace_segment(forged, 2, victim.split(".")[2])
    assert _code(verifier, spliced) == "bad_signature"


@pytest.mark.parametrize("token", [None, 12345, ["a.b.c"], {"t": 1}], ids=repr)
def test_a_token_that_is_not_text_is_malformed(token: Any, verifier: TokenVerifier) -> None:
    assert _code(verifier, token) == "malformed_token"
