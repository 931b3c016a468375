"""CSRF defences without a web framework, for the auth server and the guard.

* Session-bound token: ``XSRF-TOKEN = base64url(HMAC-SHA256(K, session id))`` with
  ``K = HMAC-SHA256(secret, "jotauth/csrf/v1")``. A resource server that shares the secret
  recomputes it from the access token's ``sid``, so a token planted from another session
  (cookie tossing from a sibling subdomain) is refused (OWASP CSRF cheat sheet, "Signed
  Double-Submit Cookie").
* Double submit: the ``X-XSRF-TOKEN`` header must equal the ``XSRF-TOKEN`` cookie, which a
  cross-site page can neither read nor set.
* Origins (OWASP, "Verifying Origin with standard headers"): one strict normaliser and an
  allowlist; ``Origin: null`` and anything that is not a plain ``scheme://host[:port]`` fail.
* Fetch Metadata (OWASP, "Fetch Metadata headers"): ``Sec-Fetch-Site`` as browsers send it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from typing import Literal
from urllib.parse import urlsplit

# RFC 9110 §9.2.1: methods a browser may send cross-site without a preflight and that must
# not change state; only the others need a CSRF check.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# Key separation (RFC 5869 style labelling): the CSRF HMAC key can never be confused with
# another use of the same secret (key encryption, login-form tokens).
_CSRF_KEY_LABEL = b"jotauth/csrf/v1"


def _mac(key: bytes, message: str) -> str:
    """base64url(HMAC-SHA256(key, message)) without padding: a cookie and header value."""
    mac = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def csrf_key(secret: bytes) -> bytes:
    """The CSRF sub-key derived from the server secret."""
    return hmac.new(secret, _CSRF_KEY_LABEL, hashlib.sha256).digest()


def session_csrf_token(key: bytes, session_id: str) -> str:
    """The ``XSRF-TOKEN`` value bound to ``session_id`` under the sub-key ``key``."""
    return _mac(key, session_id)


def same_token(a: str | None, b: str | None) -> bool:
    """Whether two CSRF token values are present and equal, compared in constant time.

    Tokens are ASCII; a lossy encoding ("replace") would make any two non-ASCII values of
    one length compare equal, so a non-ASCII value never matches.
    """
    if not a or not b or not a.isascii() or not b.isascii():
        return False
    return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))


def matches_session(key: bytes, value: str | None, session_id: str | None) -> bool:
    """Whether ``value`` is the CSRF token of ``session_id``, compared in constant time."""
    if not value or not session_id:
        return False
    return same_token(value, session_csrf_token(key, session_id))


def double_submit_ok(header: str | None, cookie: str | None) -> bool:
    """The double submit check: the header echoes the cookie (neither may be missing)."""
    return same_token(header, cookie)


# The hosted login form has no session yet: its token is bound to a random nonce held in a
# pre-session cookie instead, under a key of its own.
_FORM_KEY_LABEL = b"jotauth/login-form/v1"


def form_key(secret: bytes) -> bytes:
    """The login-form sub-key derived from the server secret."""
    return hmac.new(secret, _FORM_KEY_LABEL, hashlib.sha256).digest()


def form_token(key: bytes, nonce: str) -> str:
    """The hidden form field value that goes with the pre-session ``nonce``."""
    return _mac(key, nonce)


def matches_form(key: bytes, nonce: str | None, token: str | None) -> bool:
    """Whether ``token`` is the form token of ``nonce``, compared in constant time."""
    if not nonce or not token:
        return False
    return same_token(token, form_token(key, nonce))


# --- origins -------------------------------------------------------------------------------

_MAX_ORIGIN_LENGTH = 2048
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7E]+")
_SCHEME_AND_AUTHORITY = re.compile(r"(?i)https?://[^/?#]")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_origin(value: str) -> str | None:
    """``scheme://host[:port]`` lower-cased without a default port (RFC 6454 §6.2), or None
    when ``value`` is not a plain http(s) origin: ``null``, a path, query, fragment or
    userinfo, a bad port or host, non-printable or non-ASCII text all give None."""
    value = value.strip(" \t")
    if len(value) > _MAX_ORIGIN_LENGTH or not _PRINTABLE_ASCII.fullmatch(value) or "\\" in value:
        return None
    if not _SCHEME_AND_AUTHORITY.match(value):
        return None  # "null", https:evil, javascript:, relative forms
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    if "@" in parts.netloc or parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    if "?" in value or "#" in value:
        return None  # an empty query or fragment is still not an origin
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # urlsplit strips the brackets of an IPv6 literal
    if not _HOST.fullmatch(host) or ".." in host:
        return None
    scheme = parts.scheme.lower()
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def host_origin(host: str, scheme: str) -> str | None:
    """The origin a request's ``Host`` header names under ``scheme``, or None if malformed."""
    return normalise_origin(f"{scheme}://{host.strip()}")


class OriginAllowlist:
    """Browser origins allowed to send credentials: a fixed list, plus (optionally) the
    origin of the request's own ``Host`` (same-origin requests)."""

    __slots__ = ("_allowed",)

    def __init__(self, origins: Iterable[str]) -> None:
        normalised = (normalise_origin(origin) for origin in origins)
        self._allowed = frozenset(o for o in normalised if o is not None)

    @property
    def origins(self) -> frozenset[str]:
        """The allowed origins, normalised."""
        return self._allowed

    def allows(self, origin: str, *, host: str | None = None) -> bool:
        """Whether ``origin`` is on the list or, given ``host``, that host's own origin."""
        normalised = normalise_origin(origin)
        if normalised is None:
            return False  # "null" (sandboxed frames, opaque redirects) or garbage
        if normalised in self._allowed:
            return True
        if host is None:
            return False
        return host_origin(host, normalised.split("://", 1)[0]) == normalised


FetchSite = Literal["cross-site", "same-site", "same-origin", "none"]


def fetch_site(value: str | None) -> FetchSite | None:
    """The ``Sec-Fetch-Site`` value (W3C Fetch Metadata §2.4), case-folded; None when the
    header is absent (older browsers, non-browser clients) or not one of the four values."""
    if value is None:
        return None
    folded = value.strip().lower()
    if folded in ("cross-site", "same-site", "same-origin", "none"):
        return folded  # type: ignore[return-value]
    return None


def is_cross_site(value: str | None) -> bool:
    """Whether ``Sec-Fetch-Site`` says the request was started by another site."""
    return fetch_site(value) == "cross-site"


def is_same_origin(value: str | None) -> bool:
    """Whether ``Sec-Fetch-Site`` says the request came from this origin's own pages (or the
    user typed the URL, ``none``): the requests a browser vouches for."""
    return fetch_site(value) in ("same-origin", "none")
