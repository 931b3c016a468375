"""CSRF defence for cookie-authenticated requests to a resource server.

Only a cookie is attached by the browser on its own, so only cookie-authenticated unsafe
requests (RFC 9110 §9.2.1) are checked; a Bearer header cannot be forged cross-site.

1. Double submit: ``X-XSRF-TOKEN`` must equal the ``XSRF-TOKEN`` cookie (constant time).
2. Session binding, when the guard shares the auth server's secret: the value must be
   ``HMAC(secret, sid)`` of *this* access token (:mod:`jotauth.csrf`), so a cookie tossed
   from a sibling subdomain for another session is refused.
3. Defence in depth (OWASP CSRF cheat sheet, "Fetch Metadata" and "Verifying Origin"):
   ``Sec-Fetch-Site: cross-site`` is refused, and an ``Origin`` header must be this host's
   own or on the allowlist.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from urllib.parse import urlsplit

from jotauth.csrf import csrf_key, matches_session

from .errors import CsrfFailed

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def normalise_origin(value: str) -> str | None:
    """``scheme://host[:port]`` lower-cased without a default port, or None if not an origin."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


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
        allowed = {normalise_origin(origin) for origin in allowed_origins}
        self._allowed = frozenset(o for o in allowed if o is not None)
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
        normalised = normalise_origin(origin)
        if normalised is None:
            return False  # "null" (sandboxed frames, opaque redirects) or garbage
        if normalised in self._allowed:
            return True
        return host is not None and normalised.split("://", 1)[1] == _host_without_default_port(
            host, normalised.split("://", 1)[0]
        )

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
        if fetch_site is not None and fetch_site.lower() == "cross-site":
            raise CsrfFailed("Cross-site requests are not accepted.")
        if not self.origin_allowed(origin, host):
            raise CsrfFailed("Requests from this origin are not accepted.")
        # Tokens are ASCII; encoding others with "replace" would make any two non-ASCII
        # values of one length compare equal.
        if not header or not cookie or not header.isascii() or not cookie.isascii():
            raise CsrfFailed()
        # Constant time: the token must not be guessable byte by byte.
        if not hmac.compare_digest(header.encode("ascii"), cookie.encode("ascii")):
            raise CsrfFailed()
        if (
            bind_session
            and self._key is not None
            and not matches_session(self._key, header, session_id)
        ):
            raise CsrfFailed("The CSRF token belongs to another session.")


def _host_without_default_port(host: str, scheme: str) -> str:
    host = host.strip().lower()
    default = _DEFAULT_PORTS.get(scheme)
    if default is not None and host.endswith(f":{default}"):
        return host[: -len(f":{default}")]
    return host
