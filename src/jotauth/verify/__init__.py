"""Access-token verification for resource servers: policy, cache and remote keys."""

from ..jose import Claims, InvalidToken, KeySetUnavailable
from .cache import VerifiedTokenCache
from .jwks_client import JWKSClient, JWKSOptions, SyncJWKSClient, cache_lifetime
from .verifier import TokenVerifier

__all__ = [
    "Claims",
    "InvalidToken",
    "JWKSClient",
    "JWKSOptions",
    "KeySetUnavailable",
    "SyncJWKSClient",
    "TokenVerifier",
    "VerifiedTokenCache",
    "cache_lifetime",
]
