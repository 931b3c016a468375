"""The error of the signing-key strategies (stored keys and PEM files)."""

from __future__ import annotations


class SigningKeysError(Exception):
    """A key operation that cannot be done (unknown kid, keys from files…)."""

    code = "signing_keys"
