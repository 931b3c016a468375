"""jotauth: JWT authentication for single-page apps and their APIs.

The names a resource server imports, in one place::

    from jotauth import JWKSClient, JWTAuthMiddleware, TokenVerifier

They load on first use, so ``import jotauth`` stays cheap (no httpx, no ASGI machinery, and
never Starlette or FastAPI).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it; read by __getattr__ below (PEP 562).
_EXPORTS = {
    "Claims": "jotauth.jose",
    "InvalidToken": "jotauth.jose",
    "TokenExpired": "jotauth.jose",
    "KeySetUnavailable": "jotauth.jose",
    "TokenVerifier": "jotauth.verify",
    "JWKSClient": "jotauth.verify",
    "SyncJWKSClient": "jotauth.verify",
    "JWTAuthMiddleware": "jotauth.guard",
    "GuardError": "jotauth.guard",
}

__all__ = [
    "Claims",
    "GuardError",
    "InvalidToken",
    "JWKSClient",
    "JWTAuthMiddleware",
    "KeySetUnavailable",
    "SyncJWKSClient",
    "TokenExpired",
    "TokenVerifier",
]

if TYPE_CHECKING:
    from jotauth.guard import GuardError, JWTAuthMiddleware
    from jotauth.jose import Claims, InvalidToken, KeySetUnavailable, TokenExpired
    from jotauth.verify import JWKSClient, SyncJWKSClient, TokenVerifier


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jotauth' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
