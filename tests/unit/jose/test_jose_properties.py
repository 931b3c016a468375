"""Property-based tests: round trips over random claims for every algorithm, any single
flipped bit is rejected, and random input only ever raises ``InvalidToken``."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt as pyjwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jotauth.jose import (
    ALGORITHMS,
    BadBase64,
    InvalidToken,
    Key,
    KeySet,
    decode_unverified,
    encode,
)
from jotauth.jose._encoding import b64url_decode, b64url_encode
from jotauth.jose.jws import parse_compact, verify_signature
from jotauth.verify import TokenVerifier

ISSUER = "https://auth.example.test"
AUDIENCE = "lessons-api"
B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# Random input makes slow machines slow, never wrong: no deadline, no flaky health checks.
_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}

# Text that is valid Unicode (no lone surrogates, which cannot be UTF-8 encoded at all).
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_text, children, max_size=4),
    max_leaves=12,
)
_registered = {"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "scope", "roles"}
_extra_claims = st.dictionaries(_text.filter(lambda name: name not in _registered), _json_values)


def _access_claims(extra: dict[str, Any]) -> dict[str, Any]:
    now = int(time.time())
    return {
        **extra,
        "iss": ISSUER,
        "sub": "user-42",
        "aud": AUDIENCE,
        "exp": now + 900,
        "iat": now,
    }


def _verifier(key: Key) -> TokenVerifier:
    return TokenVerifier(
        issuer=ISSUER, audience=AUDIENCE, keys=KeySet([key.public_key()]), algorithms=(key.alg,)
    )


def _pyjwt_key(key: Key) -> Any:
    if key.alg == "HS256":
        k = key.private_jwk()["k"]
        return base64.urlsafe_b64decode(k + "=" * (-len(k) % 4))
    return key.public_key().cryptography_key()


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGORITHMS)
@settings(max_examples=25, **_SETTINGS)  # type: ignore[arg-type]
@given(extra=_extra_claims)
def test_random_claims_round_trip_through_sign_and_verify(
    alg: str, extra: dict[str, Any], private_keys: dict[str, Key]
) -> None:
    key = private_keys[alg]
    claims = _access_claims(extra)
    token = encode(claims, key)

    assert _verifier(key).verify(token).raw == claims
    assert decode_unverified(token) == ({"alg": alg, "kid": key.kid, "typ": "at+jwt"}, claims)
    # An independent implementation reads the same claims back.
    assert pyjwt.decode(token, _pyjwt_key(key), algorithms=[alg], audience=AUDIENCE) == claims


@settings(max_examples=300, **_SETTINGS)  # type: ignore[arg-type]
@given(data=st.binary(max_size=300))
def test_base64url_round_trips_any_bytes(data: bytes) -> None:
    encoded = b64url_encode(data)
    assert "=" not in encoded
    assert b64url_decode(encoded) == data
    assert b64url_decode(encoded.encode()) == data


@settings(max_examples=300, **_SETTINGS)  # type: ignore[arg-type]
@given(text=st.text(B64URL_ALPHABET + "=+/ \n.é", max_size=40))
def test_base64url_has_exactly_one_spelling_per_byte_string(text: str) -> None:
    # Whatever decodes must be the canonical encoding of what it decodes to: no padding,
    # no other alphabet, no non-zero trailing bits. Anything else is BadBase64.
    try:
        decoded = b64url_decode(text)
    except BadBase64:
        return
    assert b64url_encode(decoded) == text


# --- mutations --------------------------------------------------------------------------------


def _flip(token: str, bit: int) -> str:
    index, shift = divmod(bit, 8)
    return token[:index] + chr(ord(token[index]) ^ (1 << shift)) + token[index + 1 :]


@pytest.fixture(scope="module")
def signed_tokens(private_keys: dict[str, Key]) -> dict[str, str]:
    return {alg: encode(_access_claims({"name": "Ada"}), key) for alg, key in private_keys.items()}


@pytest.mark.parametrize("alg", ALGORITHMS)
@settings(max_examples=200, **_SETTINGS)  # type: ignore[arg-type]
@given(data=st.data())
def test_any_single_flipped_bit_is_rejected(
    alg: str, data: st.DataObject, private_keys: dict[str, Key], signed_tokens: dict[str, str]
) -> None:
    key, token = private_keys[alg], signed_tokens[alg]
    bit = data.draw(st.integers(min_value=0, max_value=len(token) * 8 - 1), label="bit")
    flipped = _flip(token, bit)
    verifier = _verifier(key)
    assert verifier.verify(token).sub == "user-42"

    with pytest.raises(InvalidToken):
        verifier.verify(flipped)
    with pytest.raises(InvalidToken):
        verify_signature(parse_compact(flipped), key.public_key())
    if flipped.isascii():
        with pytest.raises(InvalidToken):
            verifier.verify(flipped.encode("ascii"))


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_every_flipped_bit_of_the_signature_segment_is_rejected(
    alg: str, private_keys: dict[str, Key], signed_tokens: dict[str, str]
) -> None:
    # Exhaustive where it matters most (the last characters hold the unused base64 bits).
    token = signed_tokens[alg]
    verifier = _verifier(private_keys[alg])
    start = token.rindex(".") + 1
    for bit in range(start * 8, len(token) * 8):
        with pytest.raises(InvalidToken):
            verifier.verify(_flip(token, bit))


# --- random input -----------------------------------------------------------------------------


def _assert_only_invalid_token(verifier: TokenVerifier, token: str | bytes) -> None:
    with pytest.raises(InvalidToken):
        verifier.verify(token)


@pytest.fixture(scope="module")
def lenient_verifier(private_keys: dict[str, Key]) -> TokenVerifier:
    return TokenVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        keys=KeySet(key.public_key() for key in private_keys.values()),
        algorithms=ALGORITHMS,
        typ=None,
        required_claims=(),
    )


@settings(max_examples=300, **_SETTINGS)  # type: ignore[arg-type]
@given(token=st.binary(max_size=600) | st.text(max_size=600))
def test_random_bytes_or_text_raise_only_invalid_token(
    token: bytes | str, lenient_verifier: TokenVerifier
) -> None:
    _assert_only_invalid_token(lenient_verifier, token)


_segments = st.text(B64URL_ALPHABET, max_size=120)


@settings(max_examples=300, **_SETTINGS)  # type: ignore[arg-type]
@given(parts=st.lists(_segments, min_size=1, max_size=6))
def test_random_base64url_segments_raise_only_invalid_token(
    parts: list[str], lenient_verifier: TokenVerifier
) -> None:
    _assert_only_invalid_token(lenient_verifier, ".".join(parts))


_header_values = st.one_of(
    _json_values,
    st.sampled_from([*ALGORITHMS, "none", "NONE", "HS512", ""]),
)
_headers = st.fixed_dictionaries(
    {},
    optional={
        "alg": _header_values,
        "kid": st.one_of(st.sampled_from(["rs256-1", "es256-1", "hs256-1"]), _json_values),
        "typ": st.one_of(st.just("at+jwt"), _json_values),
        "crit": _json_values,
        "jwk": _json_values,
        "jku": _json_values,
        "x5c": _json_values,
        "b64": _json_values,
    },
)
_payloads = st.one_of(
    st.dictionaries(st.sampled_from(sorted(_registered)), _json_values),
    _json_values,
)


@settings(max_examples=120, **_SETTINGS)  # type: ignore[arg-type]
@given(header=_headers, payload=_payloads, signature=st.binary(max_size=300))
def test_random_headers_payloads_and_signatures_raise_only_invalid_token(
    header: dict[str, Any], payload: Any, signature: bytes, lenient_verifier: TokenVerifier
) -> None:
    # Well-formed base64url and JSON, so the random values reach the header rules, the key
    # lookup, the signature check and the claims checks.
    token = ".".join(
        [
            b64url_encode(json.dumps(header).encode()),
            b64url_encode(json.dumps(payload).encode()),
            b64url_encode(signature),
        ]
    )
    _assert_only_invalid_token(lenient_verifier, token)


@pytest.mark.parametrize("alg", ALGORITHMS)
@settings(max_examples=25, **_SETTINGS)  # type: ignore[arg-type]
@given(payload=_payloads)
def test_validly_signed_random_payloads_are_accepted_or_raise_only_invalid_token(
    alg: str, payload: Any, private_keys: dict[str, Key]
) -> None:
    # The signature verifies, so every claims check sees the random values.
    key = private_keys[alg]
    header = b64url_encode(json.dumps({"alg": alg, "kid": key.kid}).encode())
    signing_input = f"{header}.{b64url_encode(json.dumps(payload).encode())}"
    token = f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"
    verifier = TokenVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        keys=KeySet([key.public_key()]),
        algorithms=(key.alg,),
        typ=None,
        required_claims=(),
    )
    try:
        claims = verifier.verify(token)
    except InvalidToken:
        return
    assert claims.raw == payload  # only a payload that passes every check gets here
