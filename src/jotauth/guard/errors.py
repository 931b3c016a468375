"""Errors of the guard layer, each with a code of :class:`jotauth.errors.ErrorCode`.

How each code looks over HTTP (status, RFC 6750 challenge) is in :mod:`jotauth.problems`;
the guard's adapters (ASGI, FastAPI, Flask) only send what it renders. The failures the auth
server shares with the guard (no token, a malformed header, CSRF) are defined once in
:mod:`jotauth.http.errors`; the classes here add the guard's family to them.
"""

from __future__ import annotations

from jotauth import errors
from jotauth.errors import ErrorCode, JotauthError
from jotauth.http import errors as http_errors
from jotauth.jose import InvalidToken, KeySetUnavailable


class GuardError(JotauthError):
    """Base of every error the guard answers with; never a 5xx for bad client input."""

    code = ErrorCode.GUARD_ERROR
    default_detail = "The request could not be processed."


class MissingCredentials(http_errors.MissingCredentials, GuardError):
    """No access token at all (the failure the auth server shares, as a guard error)."""


class MisnamedAccessCookie(MissingCredentials):
    """No access cookie under the guard's name, but one under the other spelling (with or
    without ``__Host-``): the guard and the auth server disagree on the cookie name.

    Still ``missing_token`` (no credentials this guard accepts were sent: the bare RFC 6750
    challenge), with a detail that says which name was found and which was expected.
    """

    def __init__(self, *, found: str, expected: str) -> None:
        super().__init__(
            f"No access cookie named {expected!r}, but one named {found!r}: the auth server "
            f"and this API disagree on the cookie name ('jotauth serve --dev' drops the "
            f"__Host- prefix); give the guard cookie_name={found!r} or set the server's "
            "JOTAUTH_ACCESS_COOKIE_NAME."
        )
        self.found = found
        self.expected = expected


class MalformedAuthorization(http_errors.MalformedAuthorization, GuardError):
    """A malformed ``Authorization`` header (shared with the auth server, as a guard error)."""


class TokenRejected(GuardError):
    """The access token did not verify; the client is told the verifier's precise code
    (``expired``, ``bad_signature``…), kept in ``error``."""

    code = ErrorCode.TOKEN_REJECTED

    def __init__(self, error: InvalidToken) -> None:
        super().__init__(error.detail)
        self.error = error

    @property
    def reported_code(self) -> ErrorCode:
        """The verifier's code (``expired``…): what a client can act on."""
        return self.error.code


class KeysUnavailable(KeySetUnavailable, GuardError):
    """No verification keys (JWKS down, nothing cached): the server's fault, so 503 and
    never 401, which would make clients log their users out during an outage.

    The same failure as :class:`jotauth.jose.KeySetUnavailable` (same code), raised as a
    :class:`GuardError` so the guard's adapters answer it.
    """

    default_detail = "The token verification keys are unavailable. Retry shortly."


class DuplicateCookie(http_errors.DuplicateCookie, GuardError):
    """An auth cookie sent twice (shared with the auth server, as a guard error)."""


class CsrfFailed(http_errors.CsrfFailed, GuardError):
    """A failed CSRF check (shared with the auth server, as a guard error)."""


class InsufficientScope(GuardError):
    """A valid token without the scopes or roles the resource needs (RFC 6750 §3.1)."""

    code = ErrorCode.INSUFFICIENT_SCOPE
    default_detail = "The access token does not grant access to this resource."

    def __init__(self, detail: str | None = None, *, scopes: tuple[str, ...] = ()) -> None:
        super().__init__(detail)
        self.scopes = scopes


class InsufficientUserAuthentication(errors.InsufficientUserAuthentication, GuardError):
    """A valid token whose ``amr`` or ``auth_time`` does not meet the resource's step-up
    requirement (:mod:`jotauth.guard.step_up`): 403 with RFC 9470's challenge."""


# What an auth server may answer a refused refresh with, passed on to the client: each
# means "the session is over, log in again" (401). Anything else is ``refresh_failed``.
SESSION_ENDED_CODES = frozenset(
    {
        ErrorCode.INVALID_REFRESH_TOKEN,
        ErrorCode.SESSION_EXPIRED,
        ErrorCode.SESSION_REVOKED,
        ErrorCode.REFRESH_REUSED,
        ErrorCode.SESSION_NOT_FOUND,
        ErrorCode.MISSING_REFRESH_TOKEN,
    }
)


class RefreshFailed(GuardError):
    """Silent refresh was refused by the auth server: the session is over.

    ``reason`` is the auth server's code when it is one of :data:`SESSION_ENDED_CODES`
    (``session_expired``…), so the client learns why; otherwise ``refresh_failed``.
    """

    code = ErrorCode.REFRESH_FAILED
    default_detail = "The session could not be refreshed. Log in again."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        set_cookies: tuple[bytes, ...] = (),
    ) -> None:
        super().__init__(detail)
        self.reason = _session_ended_code(code)
        # Cookies the auth server set while refusing (they replace the guard's clearing).
        self.set_cookies = set_cookies

    @property
    def reported_code(self) -> ErrorCode:
        """The auth server's reason (``session_expired``…) or ``refresh_failed``."""
        return self.reason


def _session_ended_code(text: str | None) -> ErrorCode:
    # The text comes from another server's response body: only a known session-ending
    # code is passed on, so a refusal can never be rendered as, say, a 403 or a 503.
    if text is not None and text in SESSION_ENDED_CODES:
        return ErrorCode(text)
    return ErrorCode.REFRESH_FAILED


class SessionEnded(GuardError):
    """A valid access token whose session the auth server has ended since (logout, password
    change, admin revoke), learned through the revocation feed (DESIGN §9)."""

    code = ErrorCode.SESSION_ENDED
    default_detail = "The session of this access token has ended. Log in again."


class RefreshUnavailable(GuardError):
    """The auth server could not be reached for a silent refresh: 503, never a logout."""

    code = ErrorCode.REFRESH_UNAVAILABLE
    default_detail = "The session could not be refreshed right now. Retry shortly."
