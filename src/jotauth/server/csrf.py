"""CSRF defences of the auth server itself.

* Session-bound double submit: ``XSRF-TOKEN`` is ``HMAC(key, session id)``; a
  cookie-authenticated unsafe request must echo it in ``X-XSRF-TOKEN``, and the value must
  equal both the cookie and the HMAC of *this* request's session, so a token planted from
  another session (cookie tossing from a sibling subdomain) is refused.
* Login CSRF: ``POST /api/auth/login`` and the hosted form check ``Origin`` against the
  allowlist (OWASP CSRF cheat sheet, "Verifying Origin with standard headers").
* The hosted login form carries a token bound to a pre-session nonce cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from starlette.requests import Request

from jotauth.csrf import csrf_key, matches_session, session_csrf_token
from jotauth.server.problems import CsrfFailed, OriginNotAllowed
from jotauth.server.redirects import parse_http_url


class CsrfTokens:
    """Derives and checks the CSRF tokens; one instance per app, keyed from the secret key."""

    def __init__(self, secret: bytes) -> None:
        # The derivation is shared with the resource-server guard (jotauth.csrf).
        self._key = csrf_key(secret)
        self._form_key = hmac.new(secret, b"jotauth/login-form/v1", hashlib.sha256).digest()

    def token_for_session(self, session_id: str) -> str:
        """The ``XSRF-TOKEN`` value bound to ``session_id``."""
        return session_csrf_token(self._key, session_id)

    def check_session_request(
        self, *, header: str | None, cookie: str | None, session_id: str
    ) -> None:
        """Raise :class:`CsrfFailed` unless header == cookie == HMAC(session id)."""
        # Constant-time comparisons: the token must not be guessable byte by byte.
        header_ok = matches_session(self._key, header, session_id)
        cookie_ok = matches_session(self._key, cookie, session_id)
        if not (header_ok and cookie_ok):
            raise CsrfFailed()

    def new_form_nonce(self) -> str:
        """A random nonce for the hosted login form's pre-session cookie."""
        return secrets.token_urlsafe(24)

    def form_token(self, nonce: str) -> str:
        """The hidden form field value that goes with ``nonce``."""
        mac = hmac.new(self._form_key, nonce.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")

    def check_form(self, *, nonce: str | None, token: str | None) -> None:
        """Raise :class:`CsrfFailed` unless ``token`` belongs to the nonce cookie."""
        if not nonce or not token:
            raise CsrfFailed("The login form expired. Reload the page and try again.")
        expected = self.form_token(nonce).encode("ascii")
        if not hmac.compare_digest(_ascii(token), expected):
            raise CsrfFailed("The login form expired. Reload the page and try again.")


def _ascii(value: str) -> bytes:
    return value.encode("ascii", errors="replace")


class OriginPolicy:
    """Which browser origins may send credentials to the auth server's login endpoints."""

    def __init__(self, *, own_origin: str, allowed_origins: tuple[str, ...]) -> None:
        self.own_origin = normalize_origin(own_origin) or own_origin
        self.allowed = frozenset(
            o for o in (normalize_origin(a) for a in (own_origin, *allowed_origins)) if o
        )

    def is_allowed(self, origin: str) -> bool:
        """Whether ``origin`` (scheme://host[:port]) is the server's own or on the allowlist."""
        normalized = normalize_origin(origin)
        return normalized is not None and normalized in self.allowed

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


def normalize_origin(value: str) -> str | None:
    """``scheme://host[:port]`` in canonical form, or None when ``value`` is not an origin."""
    parsed = parse_http_url(value)
    if parsed is None or parsed.path not in ("", "/") or parsed.query or parsed.fragment:
        return None
    return parsed.origin
