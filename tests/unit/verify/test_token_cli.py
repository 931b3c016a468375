"""``jotauth token decode|verify`` offline: exit codes, reason codes, and key files."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from jotauth.cli.token import token as token_command
from jotauth.jose import Key, KeySet, encode

ISSUER = "https://auth.example.test"
AUDIENCE = "lessons-api"


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "sub": "user-42", "aud": AUDIENCE, "exp": now + 600, "iat": now} | (
        overrides
    )


def _run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(token_command, list(args), input=stdin)


def _verify(token: str, *key_options: str) -> Result:
    return _run("verify", token, *key_options, "--iss", ISSUER, "--aud", AUDIENCE)


@pytest.fixture(scope="module")
def es_key() -> Key:
    return Key.generate("ES256", kid="lessons-2026-01")


# --- decode -----------------------------------------------------------------------------------


def test_decode_prints_header_and_claims_and_warns_they_are_unverified(es_key: Key) -> None:
    result = _run("decode", encode(_claims(), es_key))
    assert result.exit_code == 0
    printed = json.loads(result.stdout)
    assert printed["header"] == {"alg": "ES256", "kid": "lessons-2026-01", "typ": "at+jwt"}
    assert printed["claims"]["sub"] == "user-42"
    assert "not verified" in result.stderr


def test_decode_reads_the_token_from_stdin(es_key: Key) -> None:
    result = _run("decode", "-", stdin=encode(_claims(), es_key) + "\n")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["claims"]["sub"] == "user-42"


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("a.b", "bad_segments"),
        ("eyJhbGciOiJub25lIn0.e30.", "alg_none"),
        ("e30.e30.c2ln", "bad_header"),
        ("x.y.z", "bad_base64"),
    ],
)
def test_decode_of_a_malformed_token_fails_with_its_code(token: str, code: str) -> None:
    result = _run("decode", token)
    assert result.exit_code == 1
    assert code in result.output


# --- verify -----------------------------------------------------------------------------------


def test_verify_with_a_pem_public_key_prints_the_claims(es_key: Key, tmp_path: Path) -> None:
    pem = tmp_path / "public.pem"
    pem.write_bytes(es_key.public_pem())
    result = _verify(encode(_claims(), es_key), "--key", str(pem))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sub"] == "user-42"


def test_verify_with_a_pem_key_does_not_depend_on_the_tokens_kid(
    es_key: Key, tmp_path: Path
) -> None:
    # A PEM file carries no kid: the operator named the key, so the token's kid cannot make
    # it "unknown". (The signature, algorithm and claims are still checked.)
    pem = tmp_path / "public.pem"
    pem.write_bytes(es_key.public_pem())
    assert es_key.kid != es_key.thumbprint()
    result = _verify(encode(_claims(), es_key), "--key", str(pem))
    assert result.exit_code == 0, result.output
    forged = encode(_claims(), Key.generate("ES256", kid=es_key.kid))
    result = _verify(forged, "--key", str(pem))
    assert result.exit_code == 1
    assert "bad_signature" in result.stderr


def test_verify_with_a_jwks_file(es_key: Key, tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(KeySet([es_key.public_key()]).to_jwks()))
    result = _verify(encode(_claims(), es_key), "--key", str(jwks))
    assert result.exit_code == 0, result.output


def test_verify_with_a_single_jwk_file_without_kid(es_key: Key, tmp_path: Path) -> None:
    jwk = {k: v for k, v in es_key.public_jwk().items() if k != "kid"}
    path = tmp_path / "key.json"
    path.write_text(json.dumps(jwk))
    result = _verify(encode(_claims(), es_key), "--key", str(path))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"exp": 1}, "expired"),
        ({"aud": "billing-api"}, "bad_audience"),
        ({"iss": "https://evil.example.test"}, "bad_issuer"),
    ],
)
def test_verify_of_an_invalid_token_exits_1_with_its_reason_code(
    overrides: dict[str, Any], code: str, es_key: Key, tmp_path: Path
) -> None:
    pem = tmp_path / "public.pem"
    pem.write_bytes(es_key.public_pem())
    result = _verify(encode(_claims(**overrides), es_key), "--key", str(pem))
    assert result.exit_code == 1
    assert f"invalid: {code}" in result.stderr
    assert result.stdout == ""


def test_verify_refuses_hs256_even_when_asked_through_the_header(tmp_path: Path) -> None:
    # Only asymmetric algorithms by default: an HS256 token signed with the PEM text as its
    # secret is algorithm confusion, refused before any key is used.
    rsa = Key.generate("RS256", kid="r")
    pem = tmp_path / "public.pem"
    pem.write_bytes(rsa.public_pem())
    import hashlib
    import hmac

    from jotauth.jose._encoding import b64url_encode

    head = b64url_encode(b'{"alg":"HS256","kid":"r","typ":"at+jwt"}')
    body = b64url_encode(json.dumps(_claims()).encode())
    mac = hmac.new(rsa.public_pem(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    result = _verify(f"{head}.{body}.{b64url_encode(mac)}", "--key", str(pem))
    assert result.exit_code == 1
    assert "unsupported_alg" in result.stderr


def test_verify_needs_exactly_one_key_source(es_key: Key, tmp_path: Path) -> None:
    token = encode(_claims(), es_key)
    assert _verify(token).exit_code == 2
    pem = tmp_path / "public.pem"
    pem.write_bytes(es_key.public_pem())
    assert _verify(token, "--key", str(pem), "--jwks", "https://x.test/jwks").exit_code == 2


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"{}", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"],
)
def test_unusable_key_file_is_an_error_not_a_crash(
    content: bytes, es_key: Key, tmp_path: Path
) -> None:
    path = tmp_path / "key"
    path.write_bytes(content)
    result = _verify(encode(_claims(), es_key), "--key", str(path))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "error: invalid_key" in result.stderr
