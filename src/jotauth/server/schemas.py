"""Request and response bodies of the auth server's JSON API (the OpenAPI schema's source).

Validation here is about *shape and hostility* (sizes, control characters, unpaired
surrogates that could not even be encoded as UTF-8); business rules such as the password
policy live in the users layer.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MAX_EMAIL_CHARS = 254  # RFC 5321 §4.5.3.1.3 path limit
MAX_PASSWORD_CHARS = 1024  # argon2 is fine with more, but nobody needs more
MAX_NAME_CHARS = 200
MAX_REFRESH_TOKEN_CHARS = 512

# Unicode categories never legitimate in an email address or a display name: controls,
# format characters (zero-width joiners, bidi overrides: "Trojan Source"), surrogates,
# private use, unassigned, and line/paragraph separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _clean_email(value: str) -> str:
    value = unicodedata.normalize("NFC", value.strip())
    if not value or len(value) > MAX_EMAIL_CHARS:
        raise ValueError("the email address must have between 1 and 254 characters")
    if any(unicodedata.category(c) in _FORBIDDEN_CATEGORIES or c.isspace() for c in value):
        raise ValueError("the email address contains characters that are not allowed")
    local, sep, domain = value.rpartition("@")
    if not sep or not local or not domain or "@" in domain:
        raise ValueError("the email address must look like name@example.org")
    return value


def _clean_password(value: str) -> str:
    # An unpaired surrogate cannot be encoded as UTF-8 and so could never be hashed.
    if any(unicodedata.category(c) == "Cs" for c in value):
        raise ValueError("the password contains invalid characters")
    return value


def _clean_name(value: str) -> str:
    value = unicodedata.normalize("NFC", value.strip())
    if any(unicodedata.category(c) in _FORBIDDEN_CATEGORIES for c in value):
        raise ValueError("the name contains characters that are not allowed")
    return value


def _clean_token(value: str) -> str:
    if not value.isascii() or not value.isprintable():
        raise ValueError("the refresh token is malformed")
    return value


Email = Annotated[str, Field(min_length=1, max_length=400), AfterValidator(_clean_email)]
Password = Annotated[
    str, Field(min_length=1, max_length=MAX_PASSWORD_CHARS), AfterValidator(_clean_password)
]
DisplayName = Annotated[str, Field(max_length=MAX_NAME_CHARS), AfterValidator(_clean_name)]
OpaqueToken = Annotated[
    str, Field(min_length=1, max_length=MAX_REFRESH_TOKEN_CHARS), AfterValidator(_clean_token)
]
Delivery = Literal["cookie", "body"]
ClientKind = Literal["web", "native"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False, frozen=True)


class LoginRequest(_Request):
    """``POST /api/auth/login``."""

    email: Email
    password: Password
    delivery: Delivery = "cookie"
    client: ClientKind = "web"


class RefreshRequest(_Request):
    """``POST /api/auth/refresh``: the refresh token comes from the cookie unless given here."""

    refresh_token: OpaqueToken | None = None
    delivery: Delivery | None = None


class SignupRequest(_Request):
    """``POST /api/auth/signup`` (when enabled)."""

    email: Email
    password: Password
    name: DisplayName | None = None
    delivery: Delivery = "cookie"
    client: ClientKind = "web"


class PasswordChangeRequest(_Request):
    """``POST /api/auth/password``: a password change revokes the user's other sessions."""

    current_password: Password
    new_password: Password


class ForgotPasswordRequest(_Request):
    """``POST /api/auth/password/forgot``."""

    email: Email


class ResetPasswordRequest(_Request):
    """``POST /api/auth/password/reset``: the token of the mailed link and the new password."""

    token: OpaqueToken
    password: Password


class VerifyEmailRequest(_Request):
    """``POST /api/auth/email/verify``: the token of the mailed link."""

    token: OpaqueToken


class SendVerificationRequest(_Request):
    """``POST /api/auth/email/verify/send``: signed in, no body; else the address."""

    email: Email | None = None


class EmailChangeRequest(_Request):
    """``POST /api/auth/email/change``: the new address, and the password again."""

    email: Email
    password: Password


class FirstPasswordRequest(_Request):
    """``POST /api/auth/password/set``: the first password of an account created through
    another identity provider (needs a sign-in less than 10 minutes old)."""

    new_password: Password


MfaToken = Annotated[
    str, Field(min_length=1, max_length=128), AfterValidator(_clean_token)
]  # an mfa_token (43 URL-safe characters)
OneTimeCode = Annotated[str, Field(min_length=1, max_length=64)]  # TOTP or recovery code


class MfaLoginRequest(_Request):
    """``POST /api/auth/login/mfa``: the second step of a login or re-authentication. The
    proof is ``code`` (``totp``, ``recovery_code``) or ``credential`` (``passkey``)."""

    mfa_token: MfaToken
    method: Annotated[str, Field(pattern=r"^[a-z_]{1,32}$")]
    code: OneTimeCode | None = None
    # A WebAuthn assertion (PublicKeyCredential JSON) for the passkey method.
    credential: dict[str, object] | None = None


class MfaRequiredResponse(BaseModel):
    """The answer of a first factor when a second is needed (no session yet). A method that
    needs data (``passkey``: WebAuthn request options) has it under its own name."""

    model_config = ConfigDict(extra="allow")

    mfa_required: Literal[True] = True
    mfa_token: str
    expires_in: int
    methods: list[str]
    enrollment_required: bool = Field(
        False, description="Present (true) when the policy requires enrolling TOTP first."
    )


class ReauthenticateRequest(_Request):
    """``POST /api/auth/reauthenticate``: the password again (accounts that have one)."""

    password: Password | None = None
    delivery: Delivery | None = None


class TotpSetupRequest(_Request):
    """``POST /api/auth/mfa/totp/setup``: signed in (no body), or the ``mfa_token`` of a
    login held for enrolment."""

    mfa_token: MfaToken | None = None


class TotpSetupResponse(BaseModel):
    """A pending TOTP: the base32 secret, the ``otpauth://`` URI and the QR code as SVG."""

    secret: str
    otpauth_uri: str
    qr_svg: str


class TotpConfirmRequest(_Request):
    """``POST /api/auth/mfa/totp/confirm``: the first code of the new authenticator."""

    code: OneTimeCode


class RecoveryCodesResponse(BaseModel):
    """New recovery codes, shown this once."""

    recovery_codes: list[str]


class MfaStatusResponse(BaseModel):
    """``GET /api/auth/mfa``: the enrolled second-factor methods."""

    enabled: bool
    methods: list[str]
    recovery_codes_remaining: int


class TokenResponse(BaseModel):
    """An access token in body delivery (RFC 6749 §5.1 field names)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    expires_at: int
    refresh_token: str | None = Field(
        None, description="Only for client 'native'; browsers get an HttpOnly cookie."
    )


class LinkedIdentityInfo(BaseModel):
    """A provider identity linked to the account (DESIGN §14)."""

    id: str
    provider: str
    issuer: str
    email: str | None
    linked_at: float
    last_used_at: float


class MeResponse(BaseModel):
    """``GET /api/auth/me``."""

    id: str
    email: str
    email_verified: bool
    name: str | None
    roles: list[str]
    scope: str
    # Federation: how else the account signs in, and whether it has a password at all.
    identities: list[LinkedIdentityInfo] = Field(default_factory=list)
    has_password: bool = True
    # Second factors (DESIGN §13): the enrolled methods, and how and when this session's
    # user last authenticated (RFC 8176 amr, epoch seconds).
    second_factors: list[str] = Field(default_factory=list)
    amr: list[str] = Field(default_factory=list)
    auth_time: int | None = None


class IdentityList(BaseModel):
    """``GET /api/auth/identities``."""

    identities: list[LinkedIdentityInfo]


class SessionInfo(BaseModel):
    """One of the user's sessions."""

    id: str
    created_at: int
    last_used_at: int | None
    expires_at: int
    user_agent: str | None
    ip: str | None
    current: bool
    # How the session signed in (RFC 8176: "pwd", "fed"); empty for older sessions.
    amr: list[str] = Field(default_factory=list)


class SessionList(BaseModel):
    """``GET /api/auth/sessions``."""

    sessions: list[SessionInfo]


# --- passkeys (WebAuthn, DESIGN §13) -----------------------------------------------------------

PasskeyName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_clean_name)]


class PasskeyRegisterRequest(_Request):
    """``POST /api/auth/passkeys/register``: the ``PublicKeyCredential.toJSON()`` of
    ``navigator.credentials.create()`` and an optional name ("Passkey N" otherwise)."""

    # An object; anything else is a 400 passkey_malformed (checked by the passkey layer).
    credential: object
    name: PasskeyName | None = None


class PasskeyRenameRequest(_Request):
    """``PATCH /api/auth/passkeys/{id}``."""

    name: PasskeyName


class PasskeyLoginRequest(_Request):
    """``POST /api/auth/passkeys/login``: the ``PublicKeyCredential.toJSON()`` of
    ``navigator.credentials.get()`` answering ``/passkeys/login/options``; delivery like login."""

    credential: object
    delivery: Delivery = "cookie"
    client: ClientKind = "web"


class PasskeyInfo(BaseModel):
    """One of the user's passkeys (never its key material)."""

    id: str
    name: str
    created_at: float
    last_used_at: float | None
    # Backup eligible: a synced ("multi-device") passkey; backed_up: synced right now.
    synced: bool
    backed_up: bool
    transports: list[str]
    aaguid: str


class PasskeyList(BaseModel):
    """``GET /api/auth/passkeys``."""

    passkeys: list[PasskeyInfo]
