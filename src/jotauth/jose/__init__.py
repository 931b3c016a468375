"""Compact JWS, JWK/JWKS and claims checks: the only code that touches token bytes.

Exported here: keys and key sets, ``encode``/``decode_unverified``, the verified
:class:`Claims` and the errors (each with a stable ``code``). The pieces the verifier is
built from (``jws.parse_compact``, ``jws.verify_signature``, ``claims.ClaimsPolicy``) are
internals, imported from their modules.
"""

from .claims import Claims
from .errors import (
    AlgorithmMismatch,
    AlgorithmNone,
    BadAudience,
    BadBase64,
    BadHeader,
    BadIssuer,
    BadJson,
    BadSegments,
    BadSignature,
    BadSignatureLength,
    BadTokenType,
    ClaimsError,
    DuplicateJsonKey,
    HeaderKeyForbidden,
    InvalidKey,
    InvalidKeySet,
    InvalidToken,
    IssuedInFuture,
    JoseError,
    KeySetUnavailable,
    MalformedToken,
    MissingClaim,
    MissingKeyId,
    SignatureOutOfRange,
    TokenExpired,
    TokenNotYetValid,
    TokenTooLarge,
    UnknownCritical,
    UnknownKey,
    UnsupportedAlgorithm,
    WeakKey,
)
from .jwk import ALGORITHMS, ASYMMETRIC_ALGORITHMS, Algorithm, Key
from .jwks import KeySet
from .jws import decode_unverified, encode

__all__ = [
    "ALGORITHMS",
    "ASYMMETRIC_ALGORITHMS",
    "Algorithm",
    "AlgorithmMismatch",
    "AlgorithmNone",
    "BadAudience",
    "BadBase64",
    "BadHeader",
    "BadIssuer",
    "BadJson",
    "BadSegments",
    "BadSignature",
    "BadSignatureLength",
    "BadTokenType",
    "Claims",
    "ClaimsError",
    "DuplicateJsonKey",
    "HeaderKeyForbidden",
    "InvalidKey",
    "InvalidKeySet",
    "InvalidToken",
    "IssuedInFuture",
    "JoseError",
    "Key",
    "KeySet",
    "KeySetUnavailable",
    "MalformedToken",
    "MissingClaim",
    "MissingKeyId",
    "SignatureOutOfRange",
    "TokenExpired",
    "TokenNotYetValid",
    "TokenTooLarge",
    "UnknownCritical",
    "UnknownKey",
    "UnsupportedAlgorithm",
    "WeakKey",
    "decode_unverified",
    "encode",
]
