"""Signing-key lifecycle, PEM files and X.509 envelopes for ``x5c``."""

from .lifecycle import KeyLifecycleError, KeyRing, KeyState, ManagedKey
from .pem import generate_signing_key, load_pem_file, save_private_pem
from .x509 import self_signed_certificate, with_x5c

__all__ = [
    "KeyLifecycleError",
    "KeyRing",
    "KeyState",
    "ManagedKey",
    "generate_signing_key",
    "load_pem_file",
    "save_private_pem",
    "self_signed_certificate",
    "with_x5c",
]
