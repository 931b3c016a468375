"""Published test vectors: RFC 7515 appendix A.1-A.3, RFC 8037 appendix A, RFC 7638 §3.1.

Every value is copied from the RFC text. A wrong transcription cannot pass: signatures that
are deterministic (HMAC, RSA PKCS#1 v1.5, Ed25519) are reproduced byte for byte, and the
randomized one (ECDSA) must verify.
"""

from __future__ import annotations

import pytest

from jotauth.jose import (
    BadAudience,
    BadJson,
    BadSignature,
    Key,
    KeySet,
    TokenExpired,
)
from jotauth.jose._encoding import b64url_decode
from jotauth.jose.jws import parse_compact, verify_signature
from jotauth.verify import TokenVerifier

# --- RFC 7515 appendix A ----------------------------------------------------------------------

# The payload shared by A.1-A.3: {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}
RFC7515_PAYLOAD_SEGMENT = (
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
)
RFC7515_CLAIMS = {"iss": "joe", "exp": 1300819380, "http://example.com/is_root": True}

# A.1: HS256. The header {"typ":"JWT",\r\n "alg":"HS256"} has a CRLF inside the JSON.
A1_JWK = {
    "kty": "oct",
    "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
}
A1_TOKEN = (
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    + RFC7515_PAYLOAD_SEGMENT
    + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)

# A.2: RS256 with the RSA key of RFC 7515 appendix A.2.1.
A2_JWK = {
    "kty": "RSA",
    "n": (
        "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0"
        "Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS"
        "5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH"
        "7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
    ),
    "e": "AQAB",
    "d": (
        "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2"
        "NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0"
        "M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_"
        "x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ"
    ),
    "p": (
        "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_P"
        "y5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc"
    ),
    "q": (
        "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeL"
        "QeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc"
    ),
    "dp": (
        "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKn"
        "u1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0"
    ),
    "dq": (
        "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0"
        "ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU"
    ),
    "qi": (
        "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5c"
        "Y7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"
    ),
}
A2_TOKEN = (
    "eyJhbGciOiJSUzI1NiJ9."
    + RFC7515_PAYLOAD_SEGMENT
    + ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2F"
    "p5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1"
    "L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYE"
    "UipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
)

# A.3: ES256 with the P-256 key of RFC 7515 appendix A.3.1 (ECDSA: verify only).
A3_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
}
A3_TOKEN = (
    "eyJhbGciOiJFUzI1NiJ9."
    + RFC7515_PAYLOAD_SEGMENT
    + ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
)

# --- RFC 8037 appendix A: Ed25519 -------------------------------------------------------------

RFC8037_PRIVATE_JWK = {  # A.1
    "kty": "OKP",
    "crv": "Ed25519",
    "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
}
RFC8037_PUBLIC_JWK = {  # A.2
    "kty": "OKP",
    "crv": "Ed25519",
    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
}
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"  # A.3
# A.4/A.5: {"alg":"EdDSA"} over the (non-JSON) payload "Example of Ed25519 signing".
RFC8037_TOKEN = (
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)

# --- RFC 7638 §3.1 ----------------------------------------------------------------------------

RFC7638_JWK = {
    "kty": "RSA",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJ"
        "ECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW"
        "2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQ"
        "Fh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ),
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def _signing_input_and_signature(token: str) -> tuple[bytes, bytes]:
    head, payload, signature = token.split(".")
    return f"{head}.{payload}".encode("ascii"), b64url_decode(signature)


def _tampered(token: str) -> str:
    # One payload character changed, in the middle so base64url stays canonical.
    head, payload, signature = token.split(".")
    middle = len(payload) // 2
    swapped = "A" if payload[middle] != "A" else "B"
    return f"{head}.{payload[:middle]}{swapped}{payload[middle + 1 :]}.{signature}"


# --- A.1 --------------------------------------------------------------------------------------


def test_rfc7515_a1_hs256_signature_is_reproduced_exactly() -> None:
    key = Key.from_jwk(A1_JWK, alg="HS256")
    signing_input, signature = _signing_input_and_signature(A1_TOKEN)

    assert len(b64url_decode(A1_JWK["k"])) == 64
    assert key.sign(signing_input) == signature


def test_rfc7515_a1_hs256_token_verifies_and_its_crlf_header_parses() -> None:
    key = Key.from_jwk(A1_JWK, alg="HS256")
    parsed = parse_compact(A1_TOKEN)

    verify_signature(parsed, key)
    assert parsed.header == {"typ": "JWT", "alg": "HS256"}
    assert parsed.payload() == RFC7515_CLAIMS


def test_rfc7515_a1_tampered_payload_fails_the_signature() -> None:
    key = Key.from_jwk(A1_JWK, alg="HS256")
    with pytest.raises(BadSignature) as raised:
        verify_signature(parse_compact(_tampered(A1_TOKEN)), key)
    assert raised.value.code == "bad_signature"


def test_rfc7515_a1_token_passes_the_verifier_up_to_its_missing_audience() -> None:
    # The vector has no aud: reaching BadAudience proves signature, typ and exp passed.
    verifier = TokenVerifier(
        issuer="joe",
        audience="lessons-api",
        keys=KeySet([Key.from_jwk(A1_JWK, alg="HS256")]),
        algorithms=("HS256",),
        typ="JWT",
        required_claims=("iss", "exp"),
        clock=lambda: 1300819380 - 60,
    )
    with pytest.raises(BadAudience):
        verifier.verify(A1_TOKEN)


def test_rfc7515_a1_token_is_expired_after_its_exp_plus_leeway() -> None:
    verifier = TokenVerifier(
        issuer="joe",
        audience="lessons-api",
        keys=KeySet([Key.from_jwk(A1_JWK, alg="HS256")]),
        algorithms=("HS256",),
        typ="JWT",
        required_claims=("iss", "exp"),
        leeway=30,
        clock=lambda: 1300819380 + 31,
    )
    with pytest.raises(TokenExpired):
        verifier.verify(A1_TOKEN)


# --- A.2 --------------------------------------------------------------------------------------


def test_rfc7515_a2_rs256_signature_is_reproduced_exactly() -> None:
    key = Key.from_jwk(A2_JWK, alg="RS256")
    signing_input, signature = _signing_input_and_signature(A2_TOKEN)

    assert key.sign(signing_input) == signature


def test_rfc7515_a2_rs256_token_verifies_with_the_public_key_only() -> None:
    public_jwk = {name: A2_JWK[name] for name in ("kty", "n", "e")}
    key = Key.from_jwk(public_jwk, alg="RS256")
    parsed = parse_compact(A2_TOKEN)

    assert not key.is_private
    verify_signature(parsed, key)
    assert parsed.header == {"alg": "RS256"}
    assert parsed.payload() == RFC7515_CLAIMS
    with pytest.raises(BadSignature):
        verify_signature(parse_compact(_tampered(A2_TOKEN)), key)


def test_rfc7515_a2_private_jwk_without_crt_members_recovers_the_same_key() -> None:
    # RFC 7518 §6.3.2: p, q, dp, dq, qi are optional; d alone must give the same signatures.
    minimal = {name: A2_JWK[name] for name in ("kty", "n", "e", "d")}
    key = Key.from_jwk(minimal, alg="RS256")
    signing_input, signature = _signing_input_and_signature(A2_TOKEN)

    assert key.sign(signing_input) == signature


# --- A.3 --------------------------------------------------------------------------------------


def test_rfc7515_a3_es256_token_verifies() -> None:
    key = Key.from_jwk({name: A3_JWK[name] for name in ("kty", "crv", "x", "y")})
    parsed = parse_compact(A3_TOKEN)

    assert key.alg == "ES256"
    verify_signature(parsed, key)
    assert parsed.payload() == RFC7515_CLAIMS
    with pytest.raises(BadSignature):
        verify_signature(parse_compact(_tampered(A3_TOKEN)), key)


def test_rfc7515_a3_private_key_signs_fresh_signatures_that_verify() -> None:
    key = Key.from_jwk(A3_JWK)
    signing_input, published = _signing_input_and_signature(A3_TOKEN)

    fresh = key.sign(signing_input)

    assert fresh != published  # ECDSA is randomized
    assert len(fresh) == 64  # raw r || s, RFC 7518 §3.4
    key.public_key().verify(signing_input, fresh)
    key.public_key().verify(signing_input, published)


# --- RFC 8037 ---------------------------------------------------------------------------------


def test_rfc8037_a3_thumbprint_of_the_ed25519_key() -> None:
    assert Key.from_jwk(RFC8037_PUBLIC_JWK).thumbprint() == RFC8037_THUMBPRINT
    assert Key.from_jwk(RFC8037_PRIVATE_JWK).kid == RFC8037_THUMBPRINT


def test_rfc8037_a1_a2_private_and_public_keys_match() -> None:
    private = Key.from_jwk(RFC8037_PRIVATE_JWK)

    assert private.alg == "EdDSA"
    public_jwk = private.public_jwk()
    assert {k: public_jwk[k] for k in RFC8037_PUBLIC_JWK} == RFC8037_PUBLIC_JWK
    assert "d" not in public_jwk


def test_rfc8037_a4_ed25519_signature_is_reproduced_exactly() -> None:
    key = Key.from_jwk(RFC8037_PRIVATE_JWK)
    signing_input, signature = _signing_input_and_signature(RFC8037_TOKEN)

    assert key.sign(signing_input) == signature


def test_rfc8037_a5_ed25519_signature_verifies_but_the_payload_is_no_jwt() -> None:
    key = Key.from_jwk(RFC8037_PUBLIC_JWK)
    parsed = parse_compact(RFC8037_TOKEN)

    verify_signature(parsed, key)
    assert b64url_decode(parsed.payload_segment) == b"Example of Ed25519 signing"
    with pytest.raises(BadJson):
        parsed.payload()
    verifier = TokenVerifier(
        issuer="joe", audience="lessons-api", keys=KeySet([key]), algorithms=("EdDSA",), typ=None
    )
    with pytest.raises(BadJson):
        verifier.verify(RFC8037_TOKEN)
    with pytest.raises(BadSignature):
        verify_signature(parse_compact(_tampered(RFC8037_TOKEN)), key)


# --- RFC 7638 ---------------------------------------------------------------------------------


def test_rfc7638_example_thumbprint_ignores_optional_members() -> None:
    key = Key.from_jwk(RFC7638_JWK)

    assert key.thumbprint() == RFC7638_THUMBPRINT
    assert key.kid == "2011-04-29"  # an explicit kid is kept, not replaced by the thumbprint
