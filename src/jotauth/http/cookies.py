"""Cookies, in one place for the auth server and the guard (RFC 6265, RFC 6265bis).

* the value grammar (``cookie-octet``, RFC 6265 §4.1.1) and the reading of ``Cookie`` and
  ``Set-Cookie`` headers;
* :class:`CookieSpec` and the one ``Set-Cookie`` formatter, deletion cookies included;
* the policy of names and flags: the cookie-prefix rules and :class:`CookiePolicy`, the
  auth server's four cookies (DESIGN §5 cookie table).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Literal, Protocol, Self
from wsgiref.handlers import format_date_time

from jotauth.http.errors import DuplicateCookie

HOST_PREFIX = "__Host-"
SECURE_PREFIX = "__Secure-"
SameSite = Literal["lax", "strict", "none"]

# RFC 6265 §4.1.1: cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E, i.e. US-ASCII
# without controls, whitespace, DQUOTE, comma, semicolon and backslash.
_COOKIE_OCTETS = re.compile(r"[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*")
# What a deletion cookie's Expires says: the earliest date there is (RFC 6265 §5.3 step 11
# replaces the cookie, and a date in the past removes it).
EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"


class CookieConfigError(ValueError):
    """The cookie settings contradict each other or the cookie-prefix rules."""


def is_cookie_value(value: str) -> bool:
    """Whether ``value`` is ``1*cookie-octet`` (RFC 6265 §4.1.1): what a server may set, and
    so all that a cookie forwarded to another server may contain."""
    return bool(value) and _COOKIE_OCTETS.fullmatch(value) is not None


def cookie_value(cookie_header: str | None, name: str) -> str | None:
    """The value of cookie ``name`` in a ``Cookie`` header, without its optional double
    quotes; raises :class:`~jotauth.http.errors.DuplicateCookie` when it is there twice.

    The server and the guard both read auth cookies through this, so they cannot disagree
    about which of two values counts (one took the first, the other the last: one request,
    two users).
    """
    if not cookie_header or name not in cookie_header:
        return None
    found: str | None = None
    seen = False
    # The full scan is needed only when the name occurs more than once as a substring.
    scan_all = cookie_header.count(name) > 1
    for pair in cookie_header.split(";"):
        key, sep, value = pair.partition("=")
        if sep and key.strip() == name:
            if seen:
                raise DuplicateCookie(name)
            seen = True
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            found = value or None
            if not scan_all:
                break
    return found


def set_cookie_value(set_cookie: bytes, name: str) -> str | None:
    """The value a ``Set-Cookie`` header gives cookie ``name`` (None for another cookie)."""
    pair = set_cookie.split(b";", 1)[0]
    key, sep, value = pair.partition(b"=")
    if not sep or key.strip().decode("latin-1") != name:
        return None
    return value.strip().decode("latin-1")


@dataclass(frozen=True)
class CookieSpec:
    """Name and flags of one cookie."""

    name: str
    path: str
    http_only: bool
    same_site: SameSite
    secure: bool
    domain: str | None

    def check_prefix_rules(self) -> None:
        """Raise :class:`CookieConfigError` when a browser would drop this cookie.

        RFC 6265bis §4.1.3: ``__Host-`` cookies need Secure, Path=/ and no Domain;
        ``__Secure-`` cookies need Secure. A browser silently ignores anything else.
        """
        name = self.name
        if name.startswith(HOST_PREFIX) and (self.path != "/" or not self.secure or self.domain):
            raise CookieConfigError(
                f"cookie {name!r} has the __Host- prefix, which requires Secure, Path=/ "
                "and no cookie_domain"
            )
        if name.startswith(SECURE_PREFIX) and not self.secure:
            raise CookieConfigError(f"cookie {name!r} has the __Secure- prefix without Secure")
        if not self.path.startswith("/"):
            raise CookieConfigError(f"the path of cookie {name!r} must start with '/'")


def format_set_cookie(
    spec: CookieSpec, value: str, max_age: int, *, now: float | None = None
) -> bytes:
    """One ``Set-Cookie`` value with canonical attribute spelling (RFC 6265bis §4.1).

    ``max_age`` 0 (with an empty ``value``) makes a deletion cookie, see :func:`deletion_cookie`.
    """
    if _COOKIE_OCTETS.fullmatch(value) is None:
        # Tokens are base64url/ASCII; anything else would need quoting and is a bug upstream.
        raise ValueError("cookie value contains characters outside the cookie-octet set")
    if max_age > 0:
        # The IMF-fixdate of RFC 9110 §5.6.7, as email.utils.formatdate(usegmt=True) writes it
        # but without a datetime: half the cost, and a refresh sets up to three cookies.
        expires = format_date_time((time.time() if now is None else now) + max_age)
    else:
        expires = EPOCH
    parts = [f"{spec.name}={value}", f"Path={spec.path}", f"Max-Age={max_age}"]
    parts.append(f"Expires={expires}")
    if spec.domain:
        parts.append(f"Domain={spec.domain}")
    # A prefixed cookie is only accepted with Secure, even to delete it (RFC 6265bis §4.1.3).
    if spec.secure or spec.name.startswith((HOST_PREFIX, SECURE_PREFIX)):
        parts.append("Secure")
    if spec.http_only:
        parts.append("HttpOnly")
    parts.append(f"SameSite={spec.same_site.capitalize()}")
    return "; ".join(parts).encode("latin-1")


def deletion_cookie(spec: CookieSpec) -> bytes:
    """The ``Set-Cookie`` value that removes the cookie of ``spec``.

    It carries the same Path and Domain the cookie was set with, or the browser keeps the
    old one (RFC 6265 §5.3 step 11: a cookie is identified by name, domain and path).
    """
    return format_set_cookie(spec, "", 0)


class CookieSettings(Protocol):
    """The settings :meth:`CookiePolicy.from_settings` reads (``jotauth.settings.Settings``)."""

    @property
    def cookies_secure(self) -> bool: ...
    @property
    def cookie_domain(self) -> str | None: ...
    @property
    def access_cookie_name(self) -> str: ...
    @property
    def refresh_cookie_name(self) -> str: ...
    @property
    def refresh_cookie_path(self) -> str: ...
    @property
    def csrf_cookie_name(self) -> str: ...


def _effective_name(name: str, domain: str | None) -> str:
    # __Host- forbids a Domain attribute, so a configured parent domain drops the prefix.
    if domain and name.startswith(HOST_PREFIX):
        return name.removeprefix(HOST_PREFIX)
    return name


@dataclass(frozen=True)
class CookiePolicy:
    """The auth cookies: access, refresh, the JS-readable ``XSRF-TOKEN`` and the hosted login
    form's nonce. Every place that sets or clears one goes through this object, so the flags
    cannot drift between login, refresh, logout and the hosted login page."""

    access: CookieSpec
    refresh: CookieSpec
    csrf: CookieSpec
    login_form: CookieSpec
    # The sealed pending sign-in with another identity provider (DESIGN §14): SameSite=Lax,
    # since it must come back on the provider's top-level redirect to the callback.
    federation: CookieSpec

    @classmethod
    def from_settings(cls, settings: CookieSettings) -> Self:
        """Derive the cookie flags from the settings, refusing combinations browsers reject."""
        secure = settings.cookies_secure
        domain = settings.cookie_domain
        refresh_path = settings.refresh_cookie_path or "/"
        access_name = _effective_name(settings.access_cookie_name, domain)
        refresh_name = _effective_name(settings.refresh_cookie_name, domain)
        form_name = (HOST_PREFIX if secure else "") + "jot_login_form"
        federation_name = (HOST_PREFIX if secure else "") + "jot_federation"
        policy = cls(
            access=CookieSpec(access_name, "/", True, "lax", secure, domain),
            refresh=CookieSpec(refresh_name, refresh_path, True, "strict", secure, domain),
            # Readable by JavaScript on purpose: the SPA copies it into X-XSRF-TOKEN.
            csrf=CookieSpec(settings.csrf_cookie_name, "/", False, "lax", secure, domain),
            # Pre-session nonce of the hosted login form: host-only, never sent cross-site.
            login_form=CookieSpec(form_name, "/", True, "strict", secure, None),
            federation=CookieSpec(federation_name, "/", True, "lax", secure, None),
        )
        for spec in (policy.access, policy.refresh, policy.csrf):
            spec.check_prefix_rules()
        return policy

    def session_cookies(
        self,
        *,
        access_token: str | None,
        access_max_age: int,
        refresh_token: str,
        refresh_max_age: int,
        csrf_token: str,
    ) -> list[bytes]:
        """``Set-Cookie`` values of a logged-in session (no access cookie in body delivery)."""
        values = []
        if access_token is not None:
            values.append(format_set_cookie(self.access, access_token, access_max_age))
        values.append(format_set_cookie(self.refresh, refresh_token, refresh_max_age))
        values.append(format_set_cookie(self.csrf, csrf_token, refresh_max_age))
        return values

    def login_form_cookie(self, nonce: str, *, max_age: int) -> bytes:
        """``Set-Cookie`` value of the hosted login form's nonce."""
        return format_set_cookie(self.login_form, nonce, max_age)

    def clearing_cookies(self) -> list[bytes]:
        """``Set-Cookie`` values that expire every auth cookie (logout)."""
        return [deletion_cookie(spec) for spec in (self.access, self.refresh, self.csrf)]
