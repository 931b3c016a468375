"""The server's signing keys live in :mod:`jotauth.keys` (two strategies behind one interface).

Kept importable under this name for the routes that catch :class:`SigningKeysError`.
"""

from jotauth.keys import RotationResult, SigningKeys, SigningKeysError

__all__ = ["RotationResult", "SigningKeys", "SigningKeysError"]
