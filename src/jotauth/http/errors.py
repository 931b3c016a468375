"""The request failures the auth server and the guard share, defined once (one code each).

Both the guard's and the server's error families subclass these, so ``except GuardError``
in the guard and the server's problem handler both see them, and neither layer imports the
other.
"""

from __future__ import annotations

from jotauth.errors import ErrorCode, JotauthError


class MissingCredentials(JotauthError):
    """No access token at all: RFC 6750 §3.1 says the challenge carries no error code."""

    code = ErrorCode.MISSING_TOKEN
    default_detail = "An access token is required."


class MalformedAuthorization(JotauthError):
    """An ``Authorization: Bearer`` header that breaks RFC 6750 §2.1, or several of them.

    400 with the ``invalid_request`` challenge; the body's code is ``malformed_authorization``
    because OAuth 2 reserves ``invalid_request`` for its own ``error`` member.
    """

    code = ErrorCode.MALFORMED_AUTHORIZATION
    default_detail = "The Authorization header must be exactly 'Bearer <token>'."


class CsrfFailed(JotauthError):
    """A cookie-authenticated unsafe request without the matching, session-bound token."""

    code = ErrorCode.CSRF_FAILED
    default_detail = "The X-XSRF-TOKEN header is missing or does not match this session."


class DuplicateCookie(JotauthError):
    """A request carrying one of the auth cookies twice (RFC 6265 lets a sibling subdomain
    set a cookie of the same name for the parent domain: "cookie tossing"). The auth server
    and the guard both refuse it rather than pick one, so one request is never two users."""

    code = ErrorCode.DUPLICATE_COOKIE
    default_detail = "The request carries the same authentication cookie twice."

    def __init__(self, name: str) -> None:
        super().__init__(f"The request carries the cookie {name} twice. Clear this site's cookies.")
        self.name = name
