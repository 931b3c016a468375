"""Errors of the guard layer: each has a fixed status, a stable ``code`` and its challenge.

:mod:`jotauth.guard.problems` renders them as RFC 9457 problem documents with the RFC 6750
``WWW-Authenticate`` header, in one place for ASGI, FastAPI and Flask.
"""

from __future__ import annotations

from jotauth.jose import InvalidToken


class GuardError(Exception):
    """Base of every error the guard answers with; never a 5xx for bad client input."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"
    default_detail: str = "The request could not be processed."
    # RFC 6750 §3.1 error code for the Bearer challenge; None: no challenge, or a bare one.
    challenge_error: str | None = None

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class MissingCredentials(GuardError):
    """No access token at all: RFC 6750 §3.1 says the challenge carries no error code."""

    status, code, title = 401, "missing_token", "Not authenticated"
    default_detail = "An access token is required."


class MalformedAuthorization(GuardError):
    """An ``Authorization: Bearer`` header that breaks RFC 6750 §2.1, or several of them."""

    status, code, title = 400, "invalid_request", "Malformed Authorization header"
    default_detail = "The Authorization header must be exactly 'Bearer <token>'."
    challenge_error = "invalid_request"


class TokenRejected(GuardError):
    """The access token did not verify; ``code`` is the verifier's (``expired``, …)."""

    status, title = 401, "Invalid token"
    code = "invalid_token"
    challenge_error = "invalid_token"

    def __init__(self, error: InvalidToken) -> None:
        super().__init__(error.detail)
        self.code = error.code


class KeysUnavailable(GuardError):
    """No verification keys (JWKS down, nothing cached): the server's fault, so 503 and
    never 401, which would make clients log their users out during an outage."""

    status, code, title = 503, "keys_unavailable", "Service unavailable"
    default_detail = "The token verification keys are unavailable. Retry shortly."


class CsrfFailed(GuardError):
    """A cookie-authenticated unsafe request without the matching, session-bound token."""

    status, code, title = 403, "csrf_failed", "CSRF check failed"
    default_detail = "The X-XSRF-TOKEN header is missing or does not match this session."


class InsufficientScope(GuardError):
    """A valid token without the scopes or roles the resource needs (RFC 6750 §3.1)."""

    status, code, title = 403, "insufficient_scope", "Insufficient scope"
    default_detail = "The access token does not grant access to this resource."
    challenge_error = "insufficient_scope"

    def __init__(self, detail: str | None = None, *, scopes: tuple[str, ...] = ()) -> None:
        super().__init__(detail)
        self.scopes = scopes


class RefreshFailed(GuardError):
    """Silent refresh was refused by the auth server: the session is over."""

    status, code, title = 401, "refresh_failed", "Session ended"
    default_detail = "The session could not be refreshed. Log in again."
    challenge_error = "invalid_token"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        set_cookies: tuple[bytes, ...] = (),
    ) -> None:
        super().__init__(detail)
        if code:
            self.code = code
        # Cookies the auth server set while refusing (they replace the guard's clearing).
        self.set_cookies = set_cookies


class RefreshUnavailable(GuardError):
    """The auth server could not be reached for a silent refresh: 503, never a logout."""

    status, code, title = 503, "refresh_unavailable", "Service unavailable"
    default_detail = "The session could not be refreshed right now. Retry shortly."
