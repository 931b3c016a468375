"""Password hashes made by other systems, kept until the user's next login (issue 12, item 5).

``jotauth users import`` stores such a hash as ``imported$`` followed by the hash exactly as
the other system wrote it, so the column says both that it is foreign and which scheme it is:

- ``bcrypt``: ``$2a$``/``$2b$``/``$2y$``, cost, 53 characters (OpenBSD, PHP, pyca/bcrypt,
  passlib); Django's ``bcrypt$$2b$…`` and ``bcrypt_sha256$$2b$…``;
- ``pbkdf2_sha256``: ``pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`` (Django, passlib's
  ``django_pbkdf2_sha256``);
- ``argon2i``, ``argon2id``: PHC strings ``$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>``
  (argon2-cffi, passlib); Django's ``argon2$argon2id$…``;
- ``scrypt``: Django's ``scrypt$<N>$<salt>$<r>$<p>$<base64 hash>``; passlib's
  ``$scrypt$ln=…,r=…,p=…$<salt>$<hash>``. (Firebase's modified scrypt needs the project's
  signer key and is not supported.)

Each is verified by a well-kept implementation (pyca/bcrypt, argon2-cffi, hashlib's OpenSSL
PBKDF2 and scrypt), comparing in constant time. Cost parameters are bounded (``MAX_*``),
at import and again at every verification: a hostile row must not make one login take
minutes or gigabytes. The bounds sit well above what these systems use by default (bcrypt
10-12, Django's 1,000,000 PBKDF2 iterations, argon2 64-100 MiB, scrypt 16-64 MiB), and the
worst accepted hash costs about two seconds of one core here (bcrypt 13: 1.0 s, PBKDF2 1M:
0.6 s on this machine).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import NamedTuple

import argon2
import bcrypt
from argon2.exceptions import InvalidHashError, VerificationError

from jotauth.users.errors import InvalidPasswordHash, UnsupportedPasswordHash

IMPORTED_PREFIX = "imported$"
# The password-hash column is 255 characters; the longest genuine hash here is ~130.
MAX_FOREIGN_HASH_CHARS = 255 - len(IMPORTED_PREFIX)

MAX_BCRYPT_COST = 14  # 2**14 rounds: ~2 s here; each step doubles it
MAX_PBKDF2_ITERATIONS = 4_000_000  # ~2.3 s here
MAX_ARGON2_MEMORY_KIB = 256 * 1024  # 256 MiB
MAX_ARGON2_TIME_COST = 16
MAX_ARGON2_WORK = 1024 * 1024  # time cost x memory in KiB: e.g. t=4 at 256 MiB, t=16 at 64 MiB
MAX_ARGON2_PARALLELISM = 16
MAX_SCRYPT_MEMORY = 128 * 1024 * 1024  # bytes: 128 * N * r
MAX_SCRYPT_WORK = 2**21  # N * r * p (Django's default is 655,360, passlib's 524,288)
MAX_SCRYPT_PARALLELISM = 16
# bcrypt reads at most 72 bytes of a password; pyca/bcrypt refuses longer ones, the systems
# that made these hashes (PHP, OpenBSD, passlib) silently used the first 72.
_BCRYPT_MAX_BYTES = 72

_BCRYPT = re.compile(r"\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}")
_PBKDF2 = re.compile(r"pbkdf2_sha256\$(\d{1,10})\$([^$]{1,128})\$([A-Za-z0-9+/=]{1,128})")
_DJANGO_SCRYPT = re.compile(
    r"scrypt\$(\d{1,10})\$([^$]{1,128})\$(\d{1,4})\$(\d{1,4})\$([A-Za-z0-9+/=]{1,128})"
)
_PASSLIB_SCRYPT = re.compile(
    r"\$scrypt\$ln=(\d{1,2}),r=(\d{1,4}),p=(\d{1,4})\$([+./A-Za-z0-9]{1,128})\$([+./A-Za-z0-9]{1,128})"
)
_ARGON2 = re.compile(
    r"\$argon2(id|i)\$v=19\$m=\d{1,10},t=\d{1,10},p=\d{1,4}\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+"
)


class ForeignHash(NamedTuple):
    """A parsed, bounded foreign hash: its scheme, its text, and how to check a password."""

    scheme: str
    encoded: str
    check: Callable[[bytes], bool]

    def verify(self, password: str) -> bool:
        """Whether ``password`` (as the user types it) is the one this hash was made from."""
        return self.check(password.encode("utf-8"))

    @property
    def stored(self) -> str:
        """The form kept in the password-hash column until the next login rehashes it."""
        return IMPORTED_PREFIX + self.encoded


def parse_foreign_hash(encoded: object) -> ForeignHash:
    """Recognise and bound-check a hash of a supported scheme (without any hashing).

    Raises :class:`UnsupportedPasswordHash` for any other scheme and
    :class:`InvalidPasswordHash` for a malformed hash or one whose cost is out of bounds.
    """
    if not isinstance(encoded, str) or not encoded:
        raise InvalidPasswordHash("password_hash must be a non-empty string")
    if len(encoded) > MAX_FOREIGN_HASH_CHARS:
        raise InvalidPasswordHash(f"the hash is longer than {MAX_FOREIGN_HASH_CHARS} characters")
    for prefix, parse in _PARSERS:
        if encoded.startswith(prefix):
            return parse(encoded)
    scheme = encoded.lstrip("$").split("$", 1)[0][:32] or "?"
    raise UnsupportedPasswordHash(f"unsupported hash scheme {scheme!r}")


def verify_stored(stored: str, password: str) -> bool:
    """Check a password against an ``imported$…`` column value; an unusable one never matches."""
    try:
        return parse_foreign_hash(stored.removeprefix(IMPORTED_PREFIX)).verify(password)
    except (InvalidPasswordHash, UnsupportedPasswordHash):
        return False


# --- bcrypt ------------------------------------------------------------------------------------


def _bcrypt(encoded: str, *, django: str = "") -> ForeignHash:
    inner = encoded.removeprefix(django)
    match = _BCRYPT.fullmatch(inner)
    if match is None:
        raise InvalidPasswordHash("a malformed bcrypt hash")
    cost = int(match.group(1))
    if not 4 <= cost <= MAX_BCRYPT_COST:
        raise InvalidPasswordHash(f"bcrypt cost {cost} is outside 4..{MAX_BCRYPT_COST}")
    hashed = inner.encode("ascii")
    prehash = django == "bcrypt_sha256$"

    def check(password: bytes) -> bool:
        if prehash:  # Django's BCryptSHA256PasswordHasher: the hex SHA-256 is what was hashed
            password = hashlib.sha256(password).hexdigest().encode("ascii")
        try:
            return bcrypt.checkpw(password[:_BCRYPT_MAX_BYTES], hashed)  # constant-time
        except ValueError:
            return False

    return ForeignHash("bcrypt", encoded, check)


# --- PBKDF2-SHA256 (Django) ----------------------------------------------------------------------


def _pbkdf2(encoded: str) -> ForeignHash:
    match = _PBKDF2.fullmatch(encoded)
    if match is None:
        raise InvalidPasswordHash("a malformed pbkdf2_sha256 hash")
    iterations = int(match.group(1))
    if not 1 <= iterations <= MAX_PBKDF2_ITERATIONS:
        raise InvalidPasswordHash(
            f"pbkdf2_sha256 iterations {iterations} are outside 1..{MAX_PBKDF2_ITERATIONS:,}"
        )
    salt = match.group(2).encode("utf-8")
    expected = _b64decode(match.group(3), "pbkdf2_sha256")
    if not 16 <= len(expected) <= 64:
        raise InvalidPasswordHash("a pbkdf2_sha256 hash must be 16 to 64 bytes")

    def check(password: bytes) -> bool:
        derived = hashlib.pbkdf2_hmac("sha256", password, salt, iterations, len(expected))
        return hmac.compare_digest(derived, expected)

    return ForeignHash("pbkdf2_sha256", encoded, check)


# --- argon2i / argon2id (PHC) --------------------------------------------------------------------


def _argon2(encoded: str, *, django: str = "") -> ForeignHash:
    phc = encoded.removeprefix(django)
    match = _ARGON2.fullmatch(phc)
    if match is None:
        raise InvalidPasswordHash("a malformed argon2 hash (argon2i or argon2id, v=19)")
    try:
        params = argon2.extract_parameters(phc)
    except InvalidHashError as exc:
        raise InvalidPasswordHash("a malformed argon2 hash") from exc
    memory, time_cost, lanes = params.memory_cost, params.time_cost, params.parallelism
    if not (
        1 <= time_cost <= MAX_ARGON2_TIME_COST
        and 8 * lanes <= memory <= MAX_ARGON2_MEMORY_KIB
        and time_cost * memory <= MAX_ARGON2_WORK
        and 1 <= lanes <= MAX_ARGON2_PARALLELISM
    ):
        raise InvalidPasswordHash(
            f"argon2 cost m={memory},t={time_cost},p={lanes} is out of bounds (m <= "
            f"{MAX_ARGON2_MEMORY_KIB} KiB, t <= {MAX_ARGON2_TIME_COST}, "
            f"t*m <= {MAX_ARGON2_WORK}, p <= {MAX_ARGON2_PARALLELISM})"
        )
    kind = params.type

    def check(password: bytes) -> bool:
        try:  # argon2-cffi compares in constant time (in libargon2)
            return argon2.low_level.verify_secret(phc.encode("ascii"), password, kind)
        except VerificationError:  # includes VerifyMismatchError
            return False
        except InvalidHashError:
            return False

    return ForeignHash(f"argon2{match.group(1)}", encoded, check)


# --- scrypt --------------------------------------------------------------------------------------


def _scrypt_bounds(n: int, r: int, p: int) -> None:
    if n < 2 or n & (n - 1) or r < 1 or not 1 <= p <= MAX_SCRYPT_PARALLELISM:
        raise InvalidPasswordHash(f"scrypt N={n}, r={r}, p={p} are not valid parameters")
    if 128 * n * r > MAX_SCRYPT_MEMORY or n * r * p > MAX_SCRYPT_WORK:
        raise InvalidPasswordHash(
            f"scrypt N={n}, r={r}, p={p} is out of bounds (128*N*r <= "
            f"{MAX_SCRYPT_MEMORY // 2**20} MiB, N*r*p <= {MAX_SCRYPT_WORK})"
        )


def _scrypt_check(salt: bytes, n: int, r: int, p: int, expected: bytes) -> Callable[[bytes], bool]:
    maxmem = 128 * n * r + 2**20  # hashlib (OpenSSL) refuses past maxmem; its default is 32 MiB

    def check(password: bytes) -> bool:
        derived = hashlib.scrypt(
            password, salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=len(expected)
        )
        return hmac.compare_digest(derived, expected)

    return check


def _django_scrypt(encoded: str) -> ForeignHash:
    match = _DJANGO_SCRYPT.fullmatch(encoded)
    if match is None:
        raise InvalidPasswordHash("a malformed scrypt hash (Django: scrypt$N$salt$r$p$hash)")
    n, r, p = int(match.group(1)), int(match.group(3)), int(match.group(4))
    _scrypt_bounds(n, r, p)
    expected = _b64decode(match.group(5), "scrypt")
    if not 16 <= len(expected) <= 64:
        raise InvalidPasswordHash("a scrypt hash must be 16 to 64 bytes")
    salt = match.group(2).encode("utf-8")
    return ForeignHash("scrypt", encoded, _scrypt_check(salt, n, r, p, expected))


def _passlib_scrypt(encoded: str) -> ForeignHash:
    match = _PASSLIB_SCRYPT.fullmatch(encoded)
    if match is None:
        raise InvalidPasswordHash("a malformed scrypt hash (passlib: $scrypt$ln=,r=,p=$salt$hash)")
    n, r, p = 2 ** int(match.group(1)), int(match.group(2)), int(match.group(3))
    _scrypt_bounds(n, r, p)
    salt = _ab64decode(match.group(4))
    expected = _ab64decode(match.group(5))
    if not 16 <= len(expected) <= 64 or not salt:
        raise InvalidPasswordHash("a scrypt hash must be 16 to 64 bytes, with a salt")
    return ForeignHash("scrypt", encoded, _scrypt_check(salt, n, r, p, expected))


# --- encodings -----------------------------------------------------------------------------------


def _b64decode(text: str, scheme: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise InvalidPasswordHash(f"the {scheme} hash is not valid base64") from exc


def _ab64decode(text: str) -> bytes:
    """Unpadded base64, as passlib writes scrypt hashes (its "adapted" ``.`` for ``+`` too)."""
    padded = text.replace(".", "+") + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except binascii.Error as exc:
        raise InvalidPasswordHash("the scrypt hash is not valid base64") from exc


_PARSERS: tuple[tuple[str, Callable[[str], ForeignHash]], ...] = (
    ("$2", _bcrypt),
    ("bcrypt$", lambda encoded: _bcrypt(encoded, django="bcrypt$")),
    ("bcrypt_sha256$", lambda encoded: _bcrypt(encoded, django="bcrypt_sha256$")),
    ("pbkdf2_sha256$", _pbkdf2),
    ("$argon2", _argon2),
    ("argon2$", lambda encoded: _argon2(encoded, django="argon2")),
    ("scrypt$", _django_scrypt),
    ("$scrypt$", _passlib_scrypt),
)
