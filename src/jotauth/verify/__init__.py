"""Access-token verification for resource servers: policy, cache, remote keys and the
issuer metadata that locates them (``TokenVerifier.from_issuer``)."""

from ..jose import Claims, InvalidToken, KeySetUnavailable
from .cache import VerifiedTokenCache
from .jwks_client import JWKSClient, JWKSOptions, SyncJWKSClient, cache_lifetime
from .verifier import TokenVerifier, VerifierOptions

__all__ = [
    "Claims",
    "InvalidToken",
    "JWKSClient",
    "JWKSOptions",
    "KeySetUnavailable",
    "SyncJWKSClient",
    "TokenVerifier",
    "VerifiedTokenCache",
    "VerifierOptions",
    "cache_lifetime",
]
