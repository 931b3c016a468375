"""Signing keys: the lifecycle, its two strategies (stored keys, PEM files), PEM and X.509.

:class:`SigningKeys` is what the auth server uses; :class:`StoredSigningKeys` rotates keys kept
in a :class:`SigningKeyRepository` (the store implements it) and :class:`PemFileSigningKeys`
serves fixed keys from files. This package imports nothing from ``store`` or ``server``.
"""

from .errors import SigningKeysError
from .files import PemFileSigningKeys
from .lifecycle import KeyLifecycleError, KeyRing, KeyState, ManagedKey
from .pem import generate_signing_key, load_pem_file, save_private_pem
from .repository import KEY_STATES, SigningKeyRepository, StoredKey
from .rings import ID_TOKEN_DEFAULT_ALGORITHM, SigningKeyRings, id_token_algorithms
from .signing import RotationOutcome, RotationResult, SigningKeys
from .stored import KeyAudit, RotationPolicy, StoredSigningKeys
from .x509 import self_signed_certificate, with_x5c

__all__ = [
    "ID_TOKEN_DEFAULT_ALGORITHM",
    "KEY_STATES",
    "KeyAudit",
    "KeyLifecycleError",
    "KeyRing",
    "KeyState",
    "ManagedKey",
    "PemFileSigningKeys",
    "RotationOutcome",
    "RotationPolicy",
    "RotationResult",
    "SigningKeyRepository",
    "SigningKeyRings",
    "SigningKeys",
    "SigningKeysError",
    "StoredKey",
    "StoredSigningKeys",
    "generate_signing_key",
    "id_token_algorithms",
    "load_pem_file",
    "save_private_pem",
    "self_signed_certificate",
    "with_x5c",
]
