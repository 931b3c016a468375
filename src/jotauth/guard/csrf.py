"""CSRF defence for cookie-authenticated requests to a resource server.

Only a cookie is attached by the browser on its own, so only cookie-authenticated unsafe
requests (RFC 9110 §9.2.1) are checked; a Bearer header cannot be forged cross-site.

1. Double submit: ``X-XSRF-TOKEN`` must equal the ``XSRF-TOKEN`` cookie (constant time).
2. Session binding, when the guard shares the auth server's secret: the value must be
   ``HMAC(secret, sid)`` of *this* access token, so a cookie tossed from a sibling
   subdomain for another session is refused.
3. Defence in depth (OWASP CSRF cheat sheet, "Fetch Metadata" and "Verifying Origin"):
   ``Sec-Fetch-Site: cross-site`` is refused, and an ``Origin`` header must be this host's
   own or on the allowlist.

The checks themselves are :mod:`jotauth.http.csrf`, shared with the auth server.
"""

from __future__ import annotations

from collections.abc import Iterable

from jotauth.http.csrf import (
    SAFE_METHODS,
    OriginAllowlist,
    csrf_key,
    double_submit_ok,
    is_cross_site,
    matches_session,
)

from .errors import CsrfFailed

__all__ = ["SAFE_METHODS", "CsrfPolicy"]


class CsrfPolicy:
    """How cookie-authenticated unsafe requests prove they come from the app's own pages.

    ``secret`` is the auth server's secret key (``JOTAUTH_SECRET_KEY``) when the guard may
    share it; without it the guard checks header == cookie plus the Fetch-Metadata and
    Origin checks. ``allowed_origins`` are the browser origins of the SPA besides this host.
    """

    __slots__ = ("_allowed", "_key", "cookie_name", "header_name")

    def __init__(
        self,
        *,
        secret: bytes | None = None,
        allowed_origins: Iterable[str] = (),
        cookie_name: str = "XSRF-TOKEN",
        header_name: str = "X-XSRF-TOKEN",
    ) -> None:
        self._key = csrf_key(secret) if secret is not None else None
        self._allowed = OriginAllowlist(allowed_origins)
        self.cookie_name = cookie_name
        self.header_name = header_name

    @property
    def binds_sessions(self) -> bool:
        """Whether tokens are checked against the session (the secret is known)."""
        return self._key is not None

    def origin_allowed(self, origin: str | None, host: str | None) -> bool:
        """Whether an ``Origin`` header (if any) is this host's own or on the allowlist."""
        if origin is None:
            return True  # not a browser, or a same-origin GET; the token check still applies
        return self._allowed.allows(origin, host=host)

    def check_browser_context(
        self, *, origin: str | None, fetch_site: str | None, host: str | None
    ) -> None:
        """Raise :class:`CsrfFailed` when ``Sec-Fetch-Site`` or ``Origin`` say another site
        started this request (also the whole check of a cookie-authenticated WebSocket
        handshake, whose hijacking the same-origin policy does not prevent, RFC 6455 §10.2)."""
        if is_cross_site(fetch_site):
            raise CsrfFailed("Cross-site requests are not accepted.")
        if not self.origin_allowed(origin, host):
            raise CsrfFailed("Requests from this origin are not accepted.")

    def check(
        self,
        *,
        header: str | None,
        cookie: str | None,
        session_id: str | None,
        origin: str | None,
        fetch_site: str | None,
        host: str | None,
        bind_session: bool = True,
    ) -> None:
        """Raise :class:`CsrfFailed` unless this cookie-authenticated unsafe request is ours.

        ``bind_session=False`` runs everything but the session binding (before a silent
        refresh, when the session is not known yet).
        """
        self.check_browser_context(origin=origin, fetch_site=fetch_site, host=host)
        if not double_submit_ok(header, cookie):
            raise CsrfFailed()
        if (
            bind_session
            and self._key is not None
            and not matches_session(self._key, header, session_id)
        ):
            raise CsrfFailed("The CSRF token belongs to another session.")
