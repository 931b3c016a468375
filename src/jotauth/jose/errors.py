"""Errors of the JOSE layer: one class per failure, each with a stable ``code``.

The HTTP layers map ``code`` to RFC 6750 ``error_description`` and RFC 9457 problems in
one place; nothing here knows about HTTP.
"""

from __future__ import annotations


class JoseError(Exception):
    """Base of every error raised by :mod:`jotauth.jose`."""

    code: str = "jose_error"
    default_detail: str = "JOSE error"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


# --- keys -------------------------------------------------------------------------------


class InvalidKey(JoseError, ValueError):
    """Key material is unusable, unsupported, or does not fit its algorithm."""

    code = "invalid_key"
    default_detail = "the key is invalid for its algorithm"


class WeakKey(InvalidKey):
    """An HMAC secret shorter than 32 bytes, or an RSA modulus under 2048 bits."""

    code = "weak_key"
    default_detail = "the key is too weak"


class InvalidKeySet(JoseError, ValueError):
    """A JWKS document that is not a JSON object with a ``keys`` array."""

    code = "invalid_jwks"
    default_detail = "the JWKS document is malformed"


# --- tokens -------------------------------------------------------------------------------


class InvalidToken(JoseError):
    """The token must not be trusted. Subclasses say why, through ``code``."""

    code = "invalid_token"
    default_detail = "the token is invalid"


class MalformedToken(InvalidToken):
    code = "malformed_token"
    default_detail = "the token is not a well-formed JWS compact serialization"


class TokenTooLarge(MalformedToken):
    code = "token_too_large"
    default_detail = "the token exceeds the size limit"


class BadSegments(MalformedToken):
    code = "bad_segments"
    default_detail = "a JWS compact token has exactly three dot-separated segments"


class BadBase64(MalformedToken):
    code = "bad_base64"
    default_detail = "a segment is not canonical unpadded base64url"


class BadJson(MalformedToken):
    code = "bad_json"
    default_detail = "the header or payload is not a UTF-8 JSON object"


class DuplicateJsonKey(MalformedToken):
    code = "duplicate_json_key"
    default_detail = "the header or payload repeats a member name"


class BadHeader(MalformedToken):
    code = "bad_header"
    default_detail = "a header parameter has the wrong type"


class AlgorithmNone(InvalidToken):
    code = "alg_none"
    default_detail = 'unsecured tokens (alg "none") are never accepted'


class UnsupportedAlgorithm(InvalidToken):
    code = "unsupported_alg"
    default_detail = "the token's algorithm is not allowed"


class AlgorithmMismatch(InvalidToken):
    code = "alg_mismatch"
    default_detail = "the token's algorithm is not the algorithm of its key"


class HeaderKeyForbidden(InvalidToken):
    code = "header_key_forbidden"
    default_detail = "keys supplied in the token header (jwk, jku, x5u, x5c) are never trusted"


class UnknownCritical(InvalidToken):
    code = "unknown_crit"
    default_detail = "the token requires header extensions this verifier does not understand"


class UnknownKey(InvalidToken):
    code = "unknown_kid"
    default_detail = "no key with the token's kid"


class MissingKeyId(UnknownKey):
    code = "missing_kid"
    default_detail = "the token has no kid and the key set has more than one key"


class BadSignature(InvalidToken):
    code = "bad_signature"
    default_detail = "the signature does not verify"


class BadSignatureLength(BadSignature):
    code = "bad_signature_length"
    default_detail = "the signature has the wrong length for its algorithm"


class SignatureOutOfRange(BadSignature):
    code = "signature_out_of_range"
    default_detail = "an ECDSA signature component is outside [1, n-1]"


class ClaimsError(InvalidToken):
    code = "bad_claim"
    default_detail = "a claim has the wrong type or value"


class MissingClaim(ClaimsError):
    code = "missing_claim"
    default_detail = "a required claim is missing"


class BadIssuer(ClaimsError):
    code = "bad_issuer"
    default_detail = "the token was issued by another issuer"


class BadAudience(ClaimsError):
    code = "bad_audience"
    default_detail = "the token is not meant for this audience"


class BadTokenType(ClaimsError):
    code = "bad_type"
    default_detail = "the token's typ is not the expected type"


class TokenExpired(ClaimsError):
    code = "expired"
    default_detail = "the token has expired"


class TokenNotYetValid(ClaimsError):
    code = "not_yet_valid"
    default_detail = "the token is not valid yet"


class IssuedInFuture(TokenNotYetValid):
    code = "issued_in_future"
    default_detail = "the token claims to be issued in the future"


class KeySetUnavailable(JoseError):
    """No keys could be obtained (JWKS endpoint down and nothing cached). Not the token's fault."""

    code = "keys_unavailable"
    default_detail = "the verification keys are unavailable"
