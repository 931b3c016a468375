"""Password hashes made by other systems' own code, the independent producers of the
``jotauth users import`` tests: passlib (the maintained ``libpass`` fork), pyca/bcrypt and
Django's ``make_password``.

``PRODUCERS`` maps a name to ``producer(password) -> hash``; costs are the producers' defaults
except where a default would make the suite slow and the cost is not what is under test
(bcrypt rounds 4 through passlib and pyca/bcrypt).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import bcrypt

Producer = Callable[[str], str]

_DJANGO_HASHERS = {
    "pbkdf2_sha256": "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "argon2": "django.contrib.auth.hashers.Argon2PasswordHasher",
    "scrypt": "django.contrib.auth.hashers.ScryptPasswordHasher",
    "bcrypt_sha256": "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "bcrypt": "django.contrib.auth.hashers.BCryptPasswordHasher",
}


def django_make_password(algorithm: str) -> Producer:
    """Django's own hasher for ``algorithm``, with the minimal settings it needs."""

    def produce(password: str) -> str:
        from django.conf import settings

        if not settings.configured:
            settings.configure(PASSWORD_HASHERS=list(_DJANGO_HASHERS.values()))
        from django.contrib.auth.hashers import make_password

        encoded: str = make_password(password, hasher=algorithm)
        return encoded

    return produce


def passlib_hash(scheme: str, **options: object) -> Producer:
    """passlib's handler ``scheme`` with ``options`` (e.g. ``rounds``, ``type``)."""

    def produce(password: str) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # passlib's notes about optional backends
            import passlib.hash

            handler = getattr(passlib.hash, scheme).using(**options)
            encoded: str = handler.hash(password)
        return encoded

    return produce


def pyca_bcrypt(prefix: bytes = b"2b", rounds: int = 4) -> Producer:
    """pyca/bcrypt itself; ``prefix`` ``2a``/``2y`` rewrites the version as PHP and older
    libraries write it (the algorithm is the same)."""

    def produce(password: str) -> str:
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds, prefix=b"2b"))
        return ("$" + prefix.decode() + hashed.decode()[3:]) if prefix != b"2b" else hashed.decode()

    return produce


PRODUCERS: dict[str, Producer] = {
    "pyca-bcrypt-2b": pyca_bcrypt(b"2b"),
    "pyca-bcrypt-2a": pyca_bcrypt(b"2a"),
    "pyca-bcrypt-2y": pyca_bcrypt(b"2y"),
    "passlib-bcrypt": passlib_hash("bcrypt", rounds=4),
    "passlib-django-pbkdf2-sha256": passlib_hash("django_pbkdf2_sha256"),
    "passlib-argon2id": passlib_hash("argon2", type="ID", memory_cost=8192, rounds=2),
    "passlib-argon2i": passlib_hash("argon2", type="I", memory_cost=8192, rounds=2),
    "passlib-scrypt": passlib_hash("scrypt"),
    "django-pbkdf2-sha256": django_make_password("pbkdf2_sha256"),
    "django-argon2": django_make_password("argon2"),
    "django-scrypt": django_make_password("scrypt"),
    "django-bcrypt-sha256": django_make_password("bcrypt_sha256"),
    "django-bcrypt": django_make_password("bcrypt"),
}
