"""Foreign password hashes (``jotauth users import``): what other systems' own code produced
verifies, anything else is refused before it can cost a login its time."""

from __future__ import annotations

import base64
import time

import bcrypt
import pytest

from jotauth.users.errors import InvalidPasswordHash, UnsupportedPasswordHash
from jotauth.users.foreign_hashes import (
    IMPORTED_PREFIX,
    MAX_FOREIGN_HASH_CHARS,
    parse_foreign_hash,
    verify_stored,
)
from tests.support.foreign_hashes import PRODUCERS

PASSWORD = "Tr0ub4dor & 3 · ünïcode"

SCHEMES = {
    "pyca-bcrypt-2b": "bcrypt",
    "pyca-bcrypt-2a": "bcrypt",
    "pyca-bcrypt-2y": "bcrypt",
    "passlib-bcrypt": "bcrypt",
    "passlib-django-pbkdf2-sha256": "pbkdf2_sha256",
    "passlib-argon2id": "argon2id",
    "passlib-argon2i": "argon2i",
    "passlib-scrypt": "scrypt",
    "django-pbkdf2-sha256": "pbkdf2_sha256",
    "django-argon2": "argon2id",
    "django-scrypt": "scrypt",
    "django-bcrypt-sha256": "bcrypt",
    "django-bcrypt": "bcrypt",
}


@pytest.mark.parametrize("producer", sorted(PRODUCERS))
def test_hash_made_by_an_independent_producer_verifies_only_its_password(producer: str) -> None:
    encoded = PRODUCERS[producer](PASSWORD)
    foreign = parse_foreign_hash(encoded)
    assert foreign.scheme == SCHEMES[producer]
    assert foreign.encoded == encoded
    assert verify_stored(foreign.stored, PASSWORD)  # what a login checks
    assert not foreign.verify(PASSWORD + " ")
    assert foreign.stored == IMPORTED_PREFIX + encoded


def test_bcrypt_reads_the_first_72_bytes_as_its_producers_did() -> None:
    # PHP's password_hash and OpenBSD bcrypt hash only the first 72 bytes of a longer
    # password (pyca/bcrypt 5 refuses to, so the producer here truncates as they do).
    encoded = bcrypt.hashpw(b"x" * 72, bcrypt.gensalt(4)).decode()
    assert parse_foreign_hash(encoded).verify("x" * 72 + "anything")  # as on the old system
    assert not parse_foreign_hash(encoded).verify("x" * 71)


@pytest.mark.parametrize(
    "encoded",
    [
        "md5$abc$def",
        "sha1$salt$0123456789abcdef",
        "pbkdf2_sha1$260000$salt$aGFzaA==",
        "$1$saltsalt$hash",  # md5-crypt
        "$6$rounds=5000$salt$hash",  # sha512-crypt
        "{SSHA}aGFzaHNhbHQ=",
        "plaintext-password",
        "unsalted_md5$$5f4dcc3b5aa765d61d8327deb882cf99",
    ],
)
def test_other_schemes_are_refused_as_unsupported(encoded: str) -> None:
    with pytest.raises(UnsupportedPasswordHash) as raised:
        parse_foreign_hash(encoded)
    assert raised.value.code == "unsupported_password_hash"


def test_an_unsupported_scheme_name_is_quoted_without_its_control_characters() -> None:
    with pytest.raises(UnsupportedPasswordHash) as raised:
        parse_foreign_hash("evil\r\nX-Injected: 1$abc")
    assert "\r" not in raised.value.detail and "\n" not in raised.value.detail


def _bcrypt(cost: int) -> str:
    return f"$2b${cost:02d}$" + "N" * 53


@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param(_bcrypt(31), id="bcrypt-cost-31"),
        pytest.param(_bcrypt(15), id="bcrypt-cost-15"),
        pytest.param(_bcrypt(3), id="bcrypt-cost-3"),
        pytest.param("pbkdf2_sha256$1000000000$salt$" + "A" * 44, id="pbkdf2-1e9"),
        pytest.param("pbkdf2_sha256$0$salt$" + "A" * 44, id="pbkdf2-zero"),
        pytest.param("$argon2id$v=19$m=4194304,t=3,p=4$c2FsdHNhbHQ$" + "A" * 43, id="argon2-4GiB"),
        pytest.param(
            "$argon2id$v=19$m=65536,t=1000,p=4$c2FsdHNhbHQ$" + "A" * 43, id="argon2-t1000"
        ),
        pytest.param("$argon2id$v=19$m=262144,t=16,p=4$c2FsdHNhbHQ$" + "A" * 43, id="argon2-work"),
        pytest.param("$argon2id$v=19$m=65536,t=2,p=255$c2FsdHNhbHQ$" + "A" * 43, id="argon2-p255"),
        pytest.param("scrypt$1073741824$salt$8$1$" + "A" * 88, id="scrypt-N-2^30"),
        pytest.param("scrypt$16384$salt$8$1000$" + "A" * 88, id="scrypt-p-1000"),
        pytest.param("scrypt$16385$salt$8$1$" + "A" * 88, id="scrypt-N-not-power-of-2"),
        pytest.param("$scrypt$ln=30,r=8,p=1$c2FsdA$" + "A" * 43, id="passlib-scrypt-ln-30"),
    ],
)
def test_absurd_costs_are_refused_before_any_hashing(encoded: str) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidPasswordHash) as raised:
        parse_foreign_hash(encoded)
    assert raised.value.code == "invalid_password_hash"
    assert time.perf_counter() - started < 0.5  # refused by reading, not by trying
    assert not verify_stored(IMPORTED_PREFIX + encoded, "anything")  # and never verified


@pytest.mark.parametrize(
    "encoded",
    [
        "$2b$10$tooshort",
        "$2x$10$" + "N" * 53,  # the crypt_blowfish bug marker: not a hash to trust
        "pbkdf2_sha256$100000$salt$not base64!",
        "pbkdf2_sha256$100000$salt$" + base64.b64encode(b"short").decode(),
        "pbkdf2_sha256$abc$salt$aGFzaA==",
        "$argon2d$v=19$m=65536,t=2,p=4$c2FsdHNhbHQ$" + "A" * 43,
        "$argon2id$v=16$m=65536,t=2,p=4$c2FsdHNhbHQ$" + "A" * 43,
        "$argon2id$m=65536,t=2,p=4$c2FsdHNhbHQ",
        "scrypt$16384$salt$8$1$%%%",
        "$scrypt$ln=16,r=8,p=1$$" + "A" * 43,
        "bcrypt_sha256$$2b$12$short",
        "",
        "$2b$10$" + "N" * 53 + "\n",
        "x" * (MAX_FOREIGN_HASH_CHARS + 1),
    ],
)
def test_malformed_hashes_are_refused(encoded: str) -> None:
    with pytest.raises((InvalidPasswordHash, UnsupportedPasswordHash)):
        parse_foreign_hash(encoded)


@pytest.mark.parametrize("value", [None, 42, ["$2b$"], {"hash": "x"}])
def test_a_hash_that_is_not_a_string_is_refused(value: object) -> None:
    with pytest.raises(InvalidPasswordHash):
        parse_foreign_hash(value)


def test_a_corrupted_stored_hash_never_matches() -> None:
    encoded = PRODUCERS["pyca-bcrypt-2b"](PASSWORD)
    assert not verify_stored(IMPORTED_PREFIX + encoded[:-1] + "!", PASSWORD)
    assert not verify_stored(IMPORTED_PREFIX + "md5$x$y", PASSWORD)
