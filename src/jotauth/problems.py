"""The one framework-free problem renderer: every :class:`ErrorCode` as HTTP.

One table says, for every code of the closed set, its HTTP status, its title and which
RFC 6750 §3 challenge it carries. :class:`ProblemRenderer` turns an error (or a code and a
detail) into a plain :class:`RenderedProblem` — status, raw headers, body — that the ASGI
guard, the FastAPI/Starlette auth server and the Flask extension each send in a few lines.
The body is an RFC 9457 ``application/problem+json`` document (``type``, ``title``,
``status``, ``detail``, ``code``); every answer is ``Cache-Control: no-store``.

Security decisions made here, once:

* RFC 6750 §3.1: a request that sent no credentials gets the bare ``Bearer realm="…"``
  challenge, without an error code; a wrong login password is not a token error either
  (bare challenge: a 401 must carry one, RFC 9110 §15.5.2).
* 5xx answers never carry the error's own detail (it may name files, tables or keys): 503s
  say "retry" with ``Retry-After``, and internal failures render as ``internal_error``.
* ``error_description`` and ``scope`` are reduced to the RFC 6750 §3 character set, since a
  detail can echo attacker-controlled token contents into a response header.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from jotauth.errors import ErrorCode, JotauthError

PROBLEM_JSON = "application/problem+json"
DEFAULT_REALM = "jotauth"
PROBLEM_TYPE_BASE = "https://jotauth.dev/problems/"
MAX_DESCRIPTION = 200
# Seconds a client should wait after a 503 when the error does not say (RFC 9110 §10.2.3).
DEFAULT_RETRY_AFTER = 5
# After a 429 without a known lockout time.
DEFAULT_THROTTLE_RETRY_AFTER = 60

RawHeaders = tuple[tuple[bytes, bytes], ...]


class Challenge(enum.Enum):
    """Which ``WWW-Authenticate: Bearer`` challenge (RFC 6750 §3) a code carries."""

    NONE = "none"  # no header: not an authentication failure
    BARE = "bare"  # Bearer realm="…" only: no credentials were sent (§3.1)
    INVALID_TOKEN = "invalid_token"
    INVALID_REQUEST = "invalid_request"
    INSUFFICIENT_SCOPE = "insufficient_scope"
    # RFC 9470 §3: the token is fine but its authentication too weak or too old (``max_age``).
    INSUFFICIENT_USER_AUTHENTICATION = "insufficient_user_authentication"


@dataclass(frozen=True, slots=True)
class ProblemSpec:
    """How one code looks over HTTP."""

    status: int
    title: str
    challenge: Challenge = Challenge.NONE
    # For 503s: the only detail a client is told (the error's own may leak internals).
    public_detail: str | None = None


def _token(title: str = "Invalid token") -> ProblemSpec:
    return ProblemSpec(401, title, Challenge.INVALID_TOKEN)


def _internal(title: str) -> ProblemSpec:
    # Rendered as ``internal_error`` (see ProblemRenderer): the title is for logs and tests.
    return ProblemSpec(500, title)


def _unavailable(detail: str) -> ProblemSpec:
    return ProblemSpec(503, "Service unavailable", public_detail=detail)


_KEYS_DOWN = "The token verification keys are unavailable. Retry shortly."

PROBLEM_SPECS: Mapping[ErrorCode, ProblemSpec] = MappingProxyType(
    {
        # jose: keys. A bad key is configuration, not the client's fault.
        ErrorCode.JOSE_ERROR: _internal("JOSE error"),
        ErrorCode.INVALID_KEY: _internal("Invalid key"),
        ErrorCode.WEAK_KEY: _internal("Weak key"),
        ErrorCode.INVALID_JWKS: _unavailable(_KEYS_DOWN),
        # 503, never 401: an outage must not make clients log their users out.
        ErrorCode.KEYS_UNAVAILABLE: _unavailable(_KEYS_DOWN),
        # jose: tokens. All one challenge; the body's code keeps the precise reason.
        ErrorCode.INVALID_TOKEN: _token(),
        ErrorCode.MALFORMED_TOKEN: _token(),
        ErrorCode.TOKEN_TOO_LARGE: _token(),
        ErrorCode.BAD_SEGMENTS: _token(),
        ErrorCode.BAD_BASE64: _token(),
        ErrorCode.BAD_JSON: _token(),
        ErrorCode.DUPLICATE_JSON_KEY: _token(),
        ErrorCode.BAD_HEADER: _token(),
        ErrorCode.ALG_NONE: _token(),
        ErrorCode.UNSUPPORTED_ALG: _token(),
        ErrorCode.ALG_MISMATCH: _token(),
        ErrorCode.HEADER_KEY_FORBIDDEN: _token(),
        ErrorCode.UNKNOWN_CRIT: _token(),
        ErrorCode.UNKNOWN_KID: _token(),
        ErrorCode.MISSING_KID: _token(),
        ErrorCode.BAD_SIGNATURE: _token(),
        ErrorCode.BAD_SIGNATURE_LENGTH: _token(),
        ErrorCode.SIGNATURE_OUT_OF_RANGE: _token(),
        ErrorCode.BAD_CLAIM: _token(),
        ErrorCode.MISSING_CLAIM: _token(),
        ErrorCode.BAD_ISSUER: _token(),
        ErrorCode.BAD_AUDIENCE: _token(),
        ErrorCode.BAD_TYPE: _token(),
        ErrorCode.EXPIRED: _token(),
        ErrorCode.NOT_YET_VALID: _token(),
        ErrorCode.ISSUED_IN_FUTURE: _token(),
        # keys
        ErrorCode.KEY_LIFECYCLE: _internal("Key lifecycle error"),
        ErrorCode.SIGNING_KEYS_UNAVAILABLE: _unavailable(
            "The signing keys are unavailable. Retry shortly."
        ),
        # store
        ErrorCode.STORE_ERROR: _internal("Storage error"),
        ErrorCode.STORE_UNAVAILABLE: _unavailable(
            "The session store is unreachable. Retry shortly."
        ),
        ErrorCode.UNSUPPORTED_DATABASE: _internal("Unsupported database"),
        ErrorCode.SEAL_BROKEN: _internal("Sealed data unreadable"),
        ErrorCode.KEY_NOT_FOUND: ProblemSpec(404, "Not found"),
        # users
        ErrorCode.USER_ERROR: ProblemSpec(400, "Bad request"),
        ErrorCode.USER_EXISTS: ProblemSpec(409, "Email already registered"),
        ErrorCode.USER_NOT_FOUND: ProblemSpec(404, "Not found"),
        ErrorCode.INVALID_EMAIL: ProblemSpec(422, "Invalid email"),
        ErrorCode.WEAK_PASSWORD: ProblemSpec(422, "Password rejected"),
        ErrorCode.PASSWORD_TOO_LONG: ProblemSpec(422, "Password rejected"),
        # 403, not 401: a 401 tells API clients their *token* is bad and makes them refresh
        # or log the user out (RFC 6750 §3.1), while only the form input was wrong.
        ErrorCode.WRONG_PASSWORD: ProblemSpec(403, "Wrong password"),
        ErrorCode.INVALID_PROFILE: ProblemSpec(422, "Invalid profile"),
        # users import (CLI): a row of the import file that cannot become an account.
        ErrorCode.UNSUPPORTED_PASSWORD_HASH: ProblemSpec(422, "Unsupported password hash"),
        ErrorCode.INVALID_PASSWORD_HASH: ProblemSpec(422, "Invalid password hash"),
        ErrorCode.INVALID_IMPORT_ROW: ProblemSpec(422, "Invalid import row"),
        ErrorCode.TOO_MANY_ATTEMPTS: ProblemSpec(429, "Too many attempts"),
        # One answer for a link that is unknown, used, expired, for a disabled account or
        # superseded: which of them it was would only help someone guessing.
        ErrorCode.ACCOUNT_LINK_INVALID: ProblemSpec(400, "Link invalid or expired"),
        # 403, not 401: the password was right; the address must be verified first.
        ErrorCode.EMAIL_NOT_VERIFIED: ProblemSpec(403, "Email address not verified"),
        ErrorCode.MAIL_ERROR: _internal("Mail error"),
        ErrorCode.MAIL_HEADER_INVALID: ProblemSpec(422, "Invalid mail header"),
        # sessions: the refresh token no longer gets an access token.
        ErrorCode.SESSION_ERROR: _token("Session error"),
        ErrorCode.INVALID_REFRESH_TOKEN: _token("Invalid refresh token"),
        ErrorCode.SESSION_EXPIRED: _token("Session expired"),
        ErrorCode.SESSION_REVOKED: _token("Session revoked"),
        ErrorCode.REFRESH_REUSED: _token("Refresh token reused"),
        ErrorCode.REFRESH_CONFLICT: ProblemSpec(409, "Concurrent refresh"),
        # A session id that is not the caller's own (or does not exist): nothing to probe.
        ErrorCode.SESSION_NOT_FOUND: ProblemSpec(404, "Not found"),
        # guard
        ErrorCode.GUARD_ERROR: ProblemSpec(400, "Bad request"),
        ErrorCode.MISSING_TOKEN: ProblemSpec(401, "Not authenticated", Challenge.BARE),
        ErrorCode.MALFORMED_AUTHORIZATION: ProblemSpec(
            400, "Malformed Authorization header", Challenge.INVALID_REQUEST
        ),
        ErrorCode.TOKEN_REJECTED: _token(),
        ErrorCode.CSRF_FAILED: ProblemSpec(403, "CSRF check failed"),
        ErrorCode.INSUFFICIENT_SCOPE: ProblemSpec(
            403, "Insufficient scope", Challenge.INSUFFICIENT_SCOPE
        ),
        # RFC 9470 §3 answers 401; we answer 403 (with its challenge): a 401 makes API
        # clients refresh and retry, then log the user out, where a step-up is needed.
        ErrorCode.INSUFFICIENT_USER_AUTHENTICATION: ProblemSpec(
            403,
            "Stronger or more recent authentication required",
            Challenge.INSUFFICIENT_USER_AUTHENTICATION,
        ),
        ErrorCode.REFRESH_FAILED: _token("Session ended"),
        ErrorCode.SESSION_ENDED: _token("Session ended"),
        ErrorCode.NOT_FIRST_PARTY: _token("Not a first-party token"),
        # Two values for one auth cookie (cookie tossing from a sibling subdomain, or stale
        # cookies of another Domain): which one is meant is unknowable, so neither is used.
        ErrorCode.DUPLICATE_COOKIE: ProblemSpec(400, "Duplicate cookie"),
        ErrorCode.HASH_QUEUE_FULL: _unavailable(
            "The server is busy checking passwords. Retry shortly."
        ),
        ErrorCode.THROTTLE_UNAVAILABLE: _unavailable(
            "The login throttle is unreachable. Retry shortly."
        ),
        ErrorCode.REFRESH_UNAVAILABLE: _unavailable(
            "The session could not be refreshed right now. Retry shortly."
        ),
        # federation: the browser is shown these on an HTML page (server/pages.py).
        ErrorCode.FEDERATION_ERROR: ProblemSpec(400, "Sign-in with the provider failed"),
        ErrorCode.UNKNOWN_PROVIDER: ProblemSpec(404, "Unknown sign-in provider"),
        ErrorCode.PROVIDER_EXISTS: ProblemSpec(409, "Provider already configured"),
        ErrorCode.FEDERATION_STATE_INVALID: ProblemSpec(400, "Sign-in request not recognised"),
        ErrorCode.FEDERATION_REFUSED: ProblemSpec(400, "Sign-in with the provider failed"),
        # 502, not 503: our service is up, the provider it depends on did not answer.
        ErrorCode.PROVIDER_UNAVAILABLE: ProblemSpec(
            502,
            "Sign-in provider unavailable",
            public_detail="The sign-in provider did not answer. Try again in a moment.",
        ),
        ErrorCode.PROVIDER_EMAIL_UNVERIFIED: ProblemSpec(403, "Email address not verified"),
        ErrorCode.LINK_REQUIRED: ProblemSpec(409, "Account exists"),
        ErrorCode.IDENTITY_ALREADY_LINKED: ProblemSpec(409, "Identity linked to another account"),
        ErrorCode.LAST_SIGN_IN_METHOD: ProblemSpec(409, "Last way to sign in"),
        ErrorCode.IDENTITY_NOT_FOUND: ProblemSpec(404, "Not found"),
        ErrorCode.PASSWORD_ALREADY_SET: ProblemSpec(409, "Password already set"),
        # second factors (DESIGN §13). A wrong code is a failed login step: 401 with the bare
        # challenge, like a wrong password; an unusable mfa_token means "start again".
        ErrorCode.SECOND_FACTOR_ERROR: ProblemSpec(400, "Second factor failed"),
        ErrorCode.SECOND_FACTOR_INVALID: ProblemSpec(401, "Invalid second factor", Challenge.BARE),
        # Setting up a factor while signed in: the form input was wrong, the session is fine
        # (a 401 would make API clients refresh and retry, counting a second wrong code).
        ErrorCode.CONFIRMATION_CODE_INVALID: ProblemSpec(422, "Code not accepted"),
        ErrorCode.MFA_TOKEN_INVALID: ProblemSpec(
            401, "Sign-in step expired or unknown", Challenge.BARE
        ),
        ErrorCode.SECOND_FACTOR_THROTTLED: ProblemSpec(429, "Too many attempts"),
        ErrorCode.SECOND_FACTOR_UNAVAILABLE: ProblemSpec(400, "Second factor not available"),
        ErrorCode.SECOND_FACTOR_EXISTS: ProblemSpec(409, "Second factor already enabled"),
        ErrorCode.SECOND_FACTOR_NOT_FOUND: ProblemSpec(404, "Second factor not enabled"),
        ErrorCode.SECOND_FACTOR_REQUIRED: ProblemSpec(409, "A second factor is required"),
        # passkeys (DESIGN §13). A refused assertion is a failed sign-in: 401 with the bare
        # challenge, like a wrong password; a broken request or a spent challenge is a 400.
        ErrorCode.PASSKEY_ERROR: ProblemSpec(400, "Passkey failed"),
        ErrorCode.PASSKEYS_UNAVAILABLE: ProblemSpec(404, "Passkeys not enabled"),
        ErrorCode.PASSKEY_MALFORMED: ProblemSpec(400, "Malformed passkey credential"),
        ErrorCode.PASSKEY_CHALLENGE_INVALID: ProblemSpec(400, "Passkey request expired or unknown"),
        ErrorCode.PASSKEY_REGISTRATION_REFUSED: ProblemSpec(400, "Passkey not accepted"),
        ErrorCode.PASSKEY_EXISTS: ProblemSpec(409, "Passkey already registered"),
        ErrorCode.PASSKEY_LIMIT: ProblemSpec(409, "Too many passkeys"),
        ErrorCode.PASSKEY_REFUSED: ProblemSpec(401, "Passkey not accepted", Challenge.BARE),
        ErrorCode.PASSKEY_CLONED: ProblemSpec(401, "Passkey may be cloned", Challenge.BARE),
        ErrorCode.PASSKEY_NOT_FOUND: ProblemSpec(404, "Not found"),
        # server
        ErrorCode.BAD_REQUEST: ProblemSpec(400, "Bad request"),
        ErrorCode.MALFORMED_REQUEST: ProblemSpec(400, "Malformed request"),
        ErrorCode.VALIDATION_FAILED: ProblemSpec(422, "Invalid request"),
        ErrorCode.UNSUPPORTED_MEDIA_TYPE: ProblemSpec(415, "Unsupported media type"),
        ErrorCode.PAYLOAD_TOO_LARGE: ProblemSpec(413, "Request body too large"),
        ErrorCode.INVALID_CREDENTIALS: ProblemSpec(401, "Invalid credentials", Challenge.BARE),
        ErrorCode.MISSING_REFRESH_TOKEN: ProblemSpec(401, "Not authenticated", Challenge.BARE),
        ErrorCode.USER_INACTIVE: _token("User inactive"),
        ErrorCode.ORIGIN_NOT_ALLOWED: ProblemSpec(403, "Origin not allowed"),
        ErrorCode.INVALID_RETURN_TO: ProblemSpec(400, "Redirect target not allowed"),
        ErrorCode.NOT_FOUND: ProblemSpec(404, "Not found"),
        ErrorCode.METHOD_NOT_ALLOWED: ProblemSpec(405, "Method not allowed"),
        ErrorCode.FEATURE_DISABLED: ProblemSpec(404, "Not enabled"),
        ErrorCode.HTTP_ERROR: ProblemSpec(400, "Request failed"),
        ErrorCode.STARTUP_REFUSED: _internal("Unsafe settings"),
        ErrorCode.INTERNAL_ERROR: ProblemSpec(
            500,
            "Internal server error",
            public_detail="The server could not complete the request.",
        ),
    }
)


@dataclass(frozen=True, slots=True)
class RenderedProblem:
    """A complete HTTP answer, independent of any framework."""

    status: int
    headers: RawHeaders  # lower-case names, Latin-1 bytes, as ASGI sends them
    body: bytes
    code: ErrorCode  # the code in the body (``internal_error`` for internal failures)
    title: str
    detail: str


def header_safe(text: str) -> str:
    """``text`` reduced to RFC 6750 §3's %x20-21 / %x23-5B / %x5D-7E, truncated.

    Replaced rather than escaped: a detail may echo token contents, and a quote or a line
    break must never let it add header parameters or headers.
    """
    safe = "".join(c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "?" for c in text)
    return safe[:MAX_DESCRIPTION]


@dataclass(frozen=True, slots=True)
class _Prepared:
    """The constant parts of one code's answer, computed once per renderer."""

    status: int
    title: str
    code: ErrorCode
    challenge: Challenge
    public_detail: str | None
    body_head: bytes  # {"type":…,"title":…,"status":…,"detail":
    body_tail: bytes  # ,"code":…}
    challenge_head: str  # Bearer realm="…"[, error="…"]
    bare_challenge: bytes  # the whole header value when the challenge is BARE


_CONTENT_TYPE = (b"content-type", PROBLEM_JSON.encode("ascii"))
# RFC 6750 §5.3 / RFC 9111: authentication answers must not be stored by caches.
_NO_STORE = (b"cache-control", b"no-store")
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class ProblemRenderer:
    """Render errors for one realm; each code's constant parts are prepared on first use.

    Hold one per application (middleware, app, extension): the per-request work is then
    one JSON string encoding of the detail and, for challenges with a description, one
    header value.
    """

    def __init__(self, realm: str = DEFAULT_REALM) -> None:
        self.realm = realm
        self._bare_challenge = f'Bearer realm="{header_safe(realm)}"'
        self._prepared: dict[ErrorCode, _Prepared] = {}

    def render(self, error: JotauthError) -> RenderedProblem:
        """``error`` as an HTTP answer, with the data it carries (scopes, retry time)."""
        # Data attributes, where an error class has them (``InsufficientScope.scopes``,
        # ``LoginThrottled.retry_after``, ``InsufficientUserAuthentication.max_age``);
        # duck-typed so this module needs no error classes.
        scopes = getattr(error, "scopes", ())
        retry_after = getattr(error, "retry_after", None)
        max_age = getattr(error, "max_age", None)
        return self.render_code(
            error.reported_code,
            error.detail,
            scopes=scopes,
            retry_after=retry_after,
            max_age=max_age,
        )

    def render_code(
        self,
        code: ErrorCode,
        detail: str | None = None,
        *,
        scopes: Iterable[str] = (),
        retry_after: float | None = None,
        status: int | None = None,
        max_age: int | None = None,
    ) -> RenderedProblem:
        """``code`` as an HTTP answer; ``status`` overrides the table (``http_error`` only).

        ``max_age`` (seconds) goes into an ``insufficient_user_authentication`` challenge:
        how recent the authentication must be (RFC 9470 §3).
        """
        prepared = self._prepared.get(code) or self._prepare(code)
        text = prepared.public_detail or detail or prepared.title
        head = prepared.body_head
        answer_status = prepared.status
        if status is not None and status != answer_status:
            answer_status = status
            head = _body_head(prepared.code, prepared.title, status)
        body = head + _JSON.encode(text).encode("utf-8") + prepared.body_tail
        headers = [_CONTENT_TYPE, (b"content-length", b"%d" % len(body)), _NO_STORE]
        challenge = prepared.challenge
        if challenge is Challenge.BARE:
            headers.append((b"www-authenticate", prepared.bare_challenge))
        elif challenge is not Challenge.NONE:
            value = f'{prepared.challenge_head}, error_description="{header_safe(text)}"'
            scope = " ".join(scopes)
            if challenge is Challenge.INSUFFICIENT_SCOPE and scope:
                value += f', scope="{header_safe(scope)}"'
            elif challenge is Challenge.INSUFFICIENT_USER_AUTHENTICATION and max_age is not None:
                # An int by type, but rendered through int(): never text in this header.
                value += f', max_age="{max(0, int(max_age))}"'
            headers.append((b"www-authenticate", value.encode("ascii")))
        if answer_status in (429, 503):
            headers.append((b"retry-after", _retry_after(answer_status, retry_after)))
        return RenderedProblem(
            answer_status, tuple(headers), body, prepared.code, prepared.title, text
        )

    def _prepare(self, code: ErrorCode) -> _Prepared:
        spec, shown = PROBLEM_SPECS[code], code
        if spec.status == 500:
            # Internal and configuration failures: the client learns nothing about them.
            shown = ErrorCode.INTERNAL_ERROR
            spec = PROBLEM_SPECS[shown]
        challenge_head = self._bare_challenge
        if spec.challenge not in (Challenge.NONE, Challenge.BARE):
            challenge_head += f', error="{spec.challenge.value}"'
        prepared = _Prepared(
            status=spec.status,
            title=spec.title,
            code=shown,
            challenge=spec.challenge,
            public_detail=spec.public_detail,
            body_head=_body_head(shown, spec.title, spec.status),
            body_tail=b',"code":' + _JSON.encode(str(shown)).encode("utf-8") + b"}",
            challenge_head=challenge_head,
            bare_challenge=self._bare_challenge.encode("ascii"),
        )
        self._prepared[code] = prepared
        return prepared


def _body_head(code: ErrorCode, title: str, status: int) -> bytes:
    """The RFC 9457 members before ``detail``, in the order every answer has them."""
    head = _JSON.encode({"type": PROBLEM_TYPE_BASE + code, "title": title, "status": status})
    return head[:-1].encode("utf-8") + b',"detail":'


def _retry_after(status: int, seconds: float | None) -> bytes:
    if seconds is None:
        seconds = DEFAULT_RETRY_AFTER if status == 503 else DEFAULT_THROTTLE_RETRY_AFTER
    return b"%d" % max(1, math.ceil(seconds))
