"""The one error vocabulary of jotauth: a closed set of codes and the root error type.

Every error any layer raises is a :class:`JotauthError` whose class names one
:class:`ErrorCode`, the stable machine-readable value clients see in problem documents
(``code``), in WebSocket close reasons and in CLI messages. The set is closed, as panva/jose's
``JOSEErrorCode`` is: an error with a code outside it cannot be written (mypy refuses it,
and ``ErrorCode("x")`` raises). Each code is defined by exactly one class and means one thing;
a layer that raises "the same" failure subclasses that class instead of minting a twin.

How a code looks over HTTP (status, title, RFC 6750 challenge) is decided in one place,
:mod:`jotauth.problems`. This module imports nothing from jotauth and no framework, so the
lowest layer (``jose``) can build on it.
"""

from __future__ import annotations

import enum
from typing import ClassVar


@enum.unique
class ErrorCode(enum.StrEnum):
    """Every error code of the product. Values are public API: never change one."""

    # --- jose: keys ---------------------------------------------------------------------
    JOSE_ERROR = "jose_error"
    INVALID_KEY = "invalid_key"
    WEAK_KEY = "weak_key"
    INVALID_JWKS = "invalid_jwks"
    KEYS_UNAVAILABLE = "keys_unavailable"
    # --- jose: tokens (all 401 invalid_token) ---------------------------------------------
    INVALID_TOKEN = "invalid_token"
    MALFORMED_TOKEN = "malformed_token"
    TOKEN_TOO_LARGE = "token_too_large"
    BAD_SEGMENTS = "bad_segments"
    BAD_BASE64 = "bad_base64"
    BAD_JSON = "bad_json"
    DUPLICATE_JSON_KEY = "duplicate_json_key"
    BAD_HEADER = "bad_header"
    ALG_NONE = "alg_none"
    UNSUPPORTED_ALG = "unsupported_alg"
    ALG_MISMATCH = "alg_mismatch"
    HEADER_KEY_FORBIDDEN = "header_key_forbidden"
    UNKNOWN_CRIT = "unknown_crit"
    UNKNOWN_KID = "unknown_kid"
    MISSING_KID = "missing_kid"
    BAD_SIGNATURE = "bad_signature"
    BAD_SIGNATURE_LENGTH = "bad_signature_length"
    SIGNATURE_OUT_OF_RANGE = "signature_out_of_range"
    BAD_CLAIM = "bad_claim"
    MISSING_CLAIM = "missing_claim"
    BAD_ISSUER = "bad_issuer"
    BAD_AUDIENCE = "bad_audience"
    BAD_TYPE = "bad_type"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    ISSUED_IN_FUTURE = "issued_in_future"
    # --- keys (signing-key lifecycle) -----------------------------------------------------
    KEY_LIFECYCLE = "key_lifecycle"
    SIGNING_KEYS_UNAVAILABLE = "signing_keys_unavailable"
    # --- store ----------------------------------------------------------------------------
    STORE_ERROR = "store_error"
    STORE_UNAVAILABLE = "store_unavailable"
    UNSUPPORTED_DATABASE = "unsupported_database"
    SEAL_BROKEN = "seal_broken"
    KEY_NOT_FOUND = "key_not_found"
    # --- users ----------------------------------------------------------------------------
    USER_ERROR = "user_error"
    USER_EXISTS = "user_exists"
    USER_NOT_FOUND = "user_not_found"
    INVALID_EMAIL = "invalid_email"
    WEAK_PASSWORD = "weak_password"
    PASSWORD_TOO_LONG = "password_too_long"
    WRONG_PASSWORD = "wrong_password"
    INVALID_PROFILE = "invalid_profile"
    UNSUPPORTED_PASSWORD_HASH = "unsupported_password_hash"
    INVALID_PASSWORD_HASH = "invalid_password_hash"
    INVALID_IMPORT_ROW = "invalid_import_row"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    ACCOUNT_LINK_INVALID = "account_link_invalid"
    EMAIL_NOT_VERIFIED = "email_not_verified"
    # --- mail -----------------------------------------------------------------------------
    MAIL_ERROR = "mail_error"
    MAIL_HEADER_INVALID = "mail_header_invalid"
    # --- sessions -------------------------------------------------------------------------
    SESSION_ERROR = "session_error"
    INVALID_REFRESH_TOKEN = "invalid_refresh_token"
    SESSION_EXPIRED = "session_expired"
    SESSION_REVOKED = "session_revoked"
    REFRESH_REUSED = "refresh_reused"
    REFRESH_CONFLICT = "refresh_conflict"
    SESSION_NOT_FOUND = "session_not_found"
    # --- guard (and the server where the failure is the same) -----------------------------
    GUARD_ERROR = "guard_error"
    MISSING_TOKEN = "missing_token"
    MALFORMED_AUTHORIZATION = "malformed_authorization"
    TOKEN_REJECTED = "token_rejected"
    CSRF_FAILED = "csrf_failed"
    INSUFFICIENT_SCOPE = "insufficient_scope"
    REFRESH_FAILED = "refresh_failed"
    REFRESH_UNAVAILABLE = "refresh_unavailable"
    SESSION_ENDED = "session_ended"
    HASH_QUEUE_FULL = "hash_queue_full"
    DUPLICATE_COOKIE = "duplicate_cookie"
    NOT_FIRST_PARTY = "not_first_party"
    THROTTLE_UNAVAILABLE = "throttle_unavailable"
    # --- federation (signing in with another identity provider, DESIGN §14) ---------------
    FEDERATION_ERROR = "federation_error"
    UNKNOWN_PROVIDER = "unknown_provider"
    PROVIDER_EXISTS = "provider_exists"
    FEDERATION_STATE_INVALID = "federation_state_invalid"
    FEDERATION_REFUSED = "federation_refused"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    PROVIDER_EMAIL_UNVERIFIED = "provider_email_unverified"
    LINK_REQUIRED = "link_required"
    IDENTITY_ALREADY_LINKED = "identity_already_linked"
    LAST_SIGN_IN_METHOD = "last_sign_in_method"
    IDENTITY_NOT_FOUND = "identity_not_found"
    PASSWORD_ALREADY_SET = "password_already_set"
    # --- second factors and step-up (DESIGN §13) ------------------------------------------
    SECOND_FACTOR_ERROR = "second_factor_error"
    SECOND_FACTOR_INVALID = "second_factor_invalid"
    CONFIRMATION_CODE_INVALID = "confirmation_code_invalid"
    MFA_TOKEN_INVALID = "mfa_token_invalid"
    SECOND_FACTOR_THROTTLED = "second_factor_throttled"
    SECOND_FACTOR_UNAVAILABLE = "second_factor_unavailable"
    SECOND_FACTOR_EXISTS = "second_factor_exists"
    SECOND_FACTOR_NOT_FOUND = "second_factor_not_found"
    SECOND_FACTOR_REQUIRED = "second_factor_required"
    INSUFFICIENT_USER_AUTHENTICATION = "insufficient_user_authentication"
    # --- passkeys (WebAuthn, DESIGN §13) ---------------------------------------------------
    PASSKEY_ERROR = "passkey_error"
    PASSKEYS_UNAVAILABLE = "passkeys_unavailable"
    PASSKEY_MALFORMED = "passkey_malformed"
    PASSKEY_CHALLENGE_INVALID = "passkey_challenge_invalid"
    PASSKEY_REGISTRATION_REFUSED = "passkey_registration_refused"
    PASSKEY_EXISTS = "passkey_exists"
    PASSKEY_LIMIT = "passkey_limit"
    PASSKEY_REFUSED = "passkey_refused"
    PASSKEY_CLONED = "passkey_cloned"
    PASSKEY_NOT_FOUND = "passkey_not_found"
    # --- server ---------------------------------------------------------------------------
    BAD_REQUEST = "bad_request"
    MALFORMED_REQUEST = "malformed_request"
    VALIDATION_FAILED = "validation_failed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    INVALID_CREDENTIALS = "invalid_credentials"
    MISSING_REFRESH_TOKEN = "missing_refresh_token"
    USER_INACTIVE = "user_inactive"
    ORIGIN_NOT_ALLOWED = "origin_not_allowed"
    INVALID_RETURN_TO = "invalid_return_to"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    FEATURE_DISABLED = "feature_disabled"
    HTTP_ERROR = "http_error"
    STARTUP_REFUSED = "startup_refused"
    INTERNAL_ERROR = "internal_error"


class JotauthError(Exception):
    """Root of every jotauth error: a class-level ``code`` and a human ``detail``.

    ``detail`` is for people and may be shown to clients (never for 5xx, see
    :mod:`jotauth.problems`); programs branch on ``code``. Errors that carry data keep it in
    typed attributes (``ClaimsError.claim``, ``LoginThrottled.retry_after``,
    ``InsufficientScope.scopes``), never only inside the text.
    """

    code: ClassVar[ErrorCode]
    default_detail: ClassVar[str] = "error"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        # The set is closed at run time too: a bare string code fails at class definition.
        code = vars(cls).get("code")
        if code is not None and not isinstance(code, ErrorCode):
            raise TypeError(f"{cls.__qualname__}.code must be an ErrorCode, not {code!r}")

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)

    @property
    def reported_code(self) -> ErrorCode:
        """The code a client is told: the class's own, unless the error reports a cause's.

        An error that wraps another (the guard's ``TokenRejected`` around the verifier's
        ``TokenExpired``) reports the precise code of what it wraps.
        """
        return self.code


class InsufficientUserAuthentication(JotauthError):
    """The request needs a more recent (or stronger) authentication than the session has:
    RFC 9470 step-up. 403, not 401, so a client does not treat it as "refresh and retry"; the
    challenge says ``max_age`` (seconds), and the user re-authenticates
    (``POST /api/auth/reauthenticate``). Defined here, beside the root, because the account
    use cases of the auth server and the resource servers' guard both raise it."""

    code = ErrorCode.INSUFFICIENT_USER_AUTHENTICATION
    default_detail = "A more recent authentication is required: sign in again to continue."

    def __init__(self, detail: str | None = None, *, max_age: int | None = None) -> None:
        super().__init__(detail)
        self.max_age = max_age
