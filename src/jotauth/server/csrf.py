"""CSRF defences of the auth server itself, over :mod:`jotauth.http.csrf`.

* Session-bound double submit: a cookie-authenticated unsafe request must echo
  ``XSRF-TOKEN`` in ``X-XSRF-TOKEN``, and the value must be the HMAC of *this* request's
  session.
* Login CSRF: ``POST /api/auth/login`` and the hosted form check ``Origin`` against the
  allowlist.
* The hosted login form carries a token bound to a pre-session nonce cookie.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request

from jotauth.http.csrf import (
    OriginAllowlist,
    csrf_key,
    double_submit_ok,
    form_key,
    form_token,
    matches_form,
    matches_session,
    normalise_origin,
    session_csrf_token,
)
from jotauth.server.problems import CsrfFailed, OriginNotAllowed

# The name server code used before the CSRF module moved to jotauth.http.csrf.
normalize_origin = normalise_origin

__all__ = ["CsrfTokens", "OriginPolicy", "double_submit_ok", "normalize_origin"]

_FORM_EXPIRED = "The login form expired. Reload the page and try again."


class CsrfTokens:
    """Derives and checks the CSRF tokens; one instance per app, keyed from the secret key."""

    def __init__(self, secret: bytes) -> None:
        self._key = csrf_key(secret)
        self._form_key = form_key(secret)

    def token_for_session(self, session_id: str) -> str:
        """The ``XSRF-TOKEN`` value bound to ``session_id``."""
        return session_csrf_token(self._key, session_id)

    def belongs_to_session(self, value: str | None, session_id: str) -> bool:
        """Whether ``value`` is the ``XSRF-TOKEN`` of ``session_id`` (constant time)."""
        return matches_session(self._key, value, session_id)

    def check_session_request(
        self, *, header: str | None, cookie: str | None, session_id: str
    ) -> None:
        """Raise :class:`CsrfFailed` unless header == cookie == HMAC(session id)."""
        header_ok = self.belongs_to_session(header, session_id)
        cookie_ok = self.belongs_to_session(cookie, session_id)
        if not (header_ok and cookie_ok):
            raise CsrfFailed()

    def new_form_nonce(self) -> str:
        """A random nonce for the hosted login form's pre-session cookie."""
        return secrets.token_urlsafe(24)

    def form_token(self, nonce: str) -> str:
        """The hidden form field value that goes with ``nonce``."""
        return form_token(self._form_key, nonce)

    def check_form(self, *, nonce: str | None, token: str | None) -> None:
        """Raise :class:`CsrfFailed` unless ``token`` belongs to the nonce cookie."""
        if not matches_form(self._form_key, nonce, token):
            raise CsrfFailed(_FORM_EXPIRED)


class OriginPolicy:
    """Which browser origins may send credentials to the auth server's login endpoints."""

    def __init__(self, *, own_origin: str, allowed_origins: tuple[str, ...]) -> None:
        self.own_origin = normalise_origin(own_origin) or own_origin
        self._allowlist = OriginAllowlist((own_origin, *allowed_origins))
        self.allowed = self._allowlist.origins

    def is_allowed(self, origin: str) -> bool:
        """Whether ``origin`` (scheme://host[:port]) is the server's own or on the allowlist."""
        return self._allowlist.allows(origin)

    def check_login_request(self, request: Request) -> None:
        """Refuse a login POST whose ``Origin`` is present and not allowed (login CSRF).

        Browsers send ``Origin`` on every cross-origin POST (Fetch standard), so an absent
        header means a non-browser client, which cannot be used for login CSRF.
        ``Origin: null`` (sandboxed frames, some redirects) is refused.
        """
        origin = request.headers.get("origin")
        if origin is not None and not self.is_allowed(origin):
            raise OriginNotAllowed()

    def check_form_submission(self, request: Request) -> None:
        """Refuse a hosted-page form POST that a browser says comes from another site.

        What browsers really send (Fetch standard): ``Sec-Fetch-Site`` on every request of
        a current browser, and ``Origin`` on every POST, ``null`` when the page's referrer
        policy is ``no-referrer``. ``Sec-Fetch-Site: same-origin`` cannot be set by a page
        (forbidden header), so it is accepted whatever ``Origin`` says; ``cross-site`` is
        always refused. Otherwise an ``Origin`` must be on the allowlist (``null`` is not),
        and a request with neither header is a non-browser client, which cannot carry a
        victim's cookies (OWASP CSRF cheat sheet, "Fetch Metadata"). The form token is
        checked on top of this.
        """
        site = request.headers.get("sec-fetch-site")
        if site == "same-origin":
            return
        origin = request.headers.get("origin")
        if site == "cross-site" or (origin is not None and not self.is_allowed(origin)):
            raise OriginNotAllowed()
