"""AES-256-GCM sealing of secrets at rest, keyed by HKDF from the server secret."""

from __future__ import annotations

import pytest

from jotauth.store import SealBroken, Sealer

SECRET = b"0123456789abcdef0123456789abcdef"


def test_sealed_value_opens_with_the_same_secret_purpose_and_associated_data() -> None:
    nonce, sealed = Sealer(SECRET, purpose=b"p").seal(b"private pem", associated_data=b"kid-1")
    assert b"private pem" not in sealed
    assert Sealer(SECRET, purpose=b"p").open(nonce, sealed, associated_data=b"kid-1") == (
        b"private pem"
    )


def test_each_seal_uses_a_fresh_nonce() -> None:
    sealer = Sealer(SECRET, purpose=b"p")
    first = sealer.seal(b"same", associated_data=b"a")
    second = sealer.seal(b"same", associated_data=b"a")
    assert first[0] != second[0] and first[1] != second[1]


@pytest.mark.parametrize(
    ("secret", "purpose", "associated_data"),
    [
        (b"another secret key, also 32 byt", b"p", b"kid-1"),  # wrong JOTAUTH_SECRET_KEY
        (SECRET, b"other purpose", b"kid-1"),  # keys are separated per purpose by HKDF info
        (SECRET, b"p", b"kid-2"),  # ciphertext copied onto another row
    ],
)
def test_seal_refuses_to_open_under_another_key_or_row(
    secret: bytes, purpose: bytes, associated_data: bytes
) -> None:
    nonce, sealed = Sealer(SECRET, purpose=b"p").seal(b"x", associated_data=b"kid-1")
    with pytest.raises(SealBroken) as caught:
        Sealer(secret, purpose=purpose).open(nonce, sealed, associated_data=associated_data)
    assert caught.value.code == "seal_broken"


def test_tampered_ciphertext_is_refused() -> None:
    sealer = Sealer(SECRET, purpose=b"p")
    nonce, sealed = sealer.seal(b"x", associated_data=b"a")
    with pytest.raises(SealBroken):
        sealer.open(nonce, bytes([sealed[0] ^ 1]) + sealed[1:], associated_data=b"a")


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        Sealer(b"short", purpose=b"p")
