"""Errors of the JOSE layer: one class per failure, each with a stable ``code``.

Codes come from the one closed set, :class:`jotauth.errors.ErrorCode`; how they look over
HTTP is decided in :mod:`jotauth.problems`. Nothing here knows about HTTP.
"""

from __future__ import annotations

from jotauth.errors import ErrorCode, JotauthError


class JoseError(JotauthError):
    """Base of every error raised by :mod:`jotauth.jose`."""

    code = ErrorCode.JOSE_ERROR
    default_detail = "JOSE error"


# --- keys -------------------------------------------------------------------------------


class InvalidKey(JoseError, ValueError):
    """Key material is unusable, unsupported, or does not fit its algorithm."""

    code = ErrorCode.INVALID_KEY
    default_detail = "the key is invalid for its algorithm"


class WeakKey(InvalidKey):
    """An HMAC secret shorter than 32 bytes, or an RSA modulus under 2048 bits."""

    code = ErrorCode.WEAK_KEY
    default_detail = "the key is too weak"


class InvalidKeySet(JoseError, ValueError):
    """A JWKS document that is not a JSON object with a ``keys`` array."""

    code = ErrorCode.INVALID_JWKS
    default_detail = "the JWKS document is malformed"


# --- tokens -------------------------------------------------------------------------------


class InvalidToken(JoseError):
    """The token must not be trusted. Subclasses say why, through ``code``."""

    code = ErrorCode.INVALID_TOKEN
    default_detail = "the token is invalid"


class MalformedToken(InvalidToken):
    code = ErrorCode.MALFORMED_TOKEN
    default_detail = "the token is not a well-formed JWS compact serialization"


class TokenTooLarge(MalformedToken):
    code = ErrorCode.TOKEN_TOO_LARGE
    default_detail = "the token exceeds the size limit"


class BadSegments(MalformedToken):
    code = ErrorCode.BAD_SEGMENTS
    default_detail = "a JWS compact token has exactly three dot-separated segments"


class BadBase64(MalformedToken):
    code = ErrorCode.BAD_BASE64
    default_detail = "a segment is not canonical unpadded base64url"


class BadJson(MalformedToken):
    code = ErrorCode.BAD_JSON
    default_detail = "the header or payload is not a UTF-8 JSON object"


class DuplicateJsonKey(MalformedToken):
    code = ErrorCode.DUPLICATE_JSON_KEY
    default_detail = "the header or payload repeats a member name"


class BadHeader(MalformedToken):
    code = ErrorCode.BAD_HEADER
    default_detail = "a header parameter has the wrong type"


class AlgorithmNone(InvalidToken):
    code = ErrorCode.ALG_NONE
    default_detail = 'unsecured tokens (alg "none") are never accepted'


class UnsupportedAlgorithm(InvalidToken):
    code = ErrorCode.UNSUPPORTED_ALG
    default_detail = "the token's algorithm is not allowed"


class AlgorithmMismatch(InvalidToken):
    code = ErrorCode.ALG_MISMATCH
    default_detail = "the token's algorithm is not the algorithm of its key"


class HeaderKeyForbidden(InvalidToken):
    code = ErrorCode.HEADER_KEY_FORBIDDEN
    default_detail = "keys supplied in the token header (jwk, jku, x5u, x5c) are never trusted"


class UnknownCritical(InvalidToken):
    code = ErrorCode.UNKNOWN_CRIT
    default_detail = "the token requires header extensions this verifier does not understand"


class UnknownKey(InvalidToken):
    code = ErrorCode.UNKNOWN_KID
    default_detail = "no key with the token's kid"


class MissingKeyId(UnknownKey):
    code = ErrorCode.MISSING_KID
    default_detail = "the token has no kid and the key set has more than one key"


class BadSignature(InvalidToken):
    code = ErrorCode.BAD_SIGNATURE
    default_detail = "the signature does not verify"


class BadSignatureLength(BadSignature):
    code = ErrorCode.BAD_SIGNATURE_LENGTH
    default_detail = "the signature has the wrong length for its algorithm"


class SignatureOutOfRange(BadSignature):
    code = ErrorCode.SIGNATURE_OUT_OF_RANGE
    default_detail = "an ECDSA signature component is outside [1, n-1]"


class ClaimsError(InvalidToken):
    """A claim is missing or wrong; ``claim`` names it (``exp``, ``aud``…) when known."""

    code = ErrorCode.BAD_CLAIM
    default_detail = "a claim has the wrong type or value"
    default_claim: str | None = None

    def __init__(self, detail: str | None = None, *, claim: str | None = None) -> None:
        super().__init__(detail)
        self.claim = claim or self.default_claim


class MissingClaim(ClaimsError):
    code = ErrorCode.MISSING_CLAIM
    default_detail = "a required claim is missing"


class BadIssuer(ClaimsError):
    code = ErrorCode.BAD_ISSUER
    default_detail = "the token was issued by another issuer"
    default_claim = "iss"


class BadAudience(ClaimsError):
    code = ErrorCode.BAD_AUDIENCE
    default_detail = "the token is not meant for this audience"
    default_claim = "aud"


class BadTokenType(ClaimsError):
    code = ErrorCode.BAD_TYPE
    default_detail = "the token's typ is not the expected type"


class TokenExpired(ClaimsError):
    code = ErrorCode.EXPIRED
    default_detail = "the token has expired"
    default_claim = "exp"


class TokenNotYetValid(ClaimsError):
    code = ErrorCode.NOT_YET_VALID
    default_detail = "the token is not valid yet"
    default_claim = "nbf"


class IssuedInFuture(TokenNotYetValid):
    code = ErrorCode.ISSUED_IN_FUTURE
    default_detail = "the token claims to be issued in the future"
    default_claim = "iat"


class KeySetUnavailable(JoseError):
    """No keys could be obtained (JWKS endpoint down and nothing cached). Not the token's fault."""

    code = ErrorCode.KEYS_UNAVAILABLE
    default_detail = "the verification keys are unavailable"
