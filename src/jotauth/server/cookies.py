"""Which auth cookies the server sets, with which flags (DESIGN §5 cookie table).

One :class:`CookiePolicy` is derived from the settings at start-up; every place that sets
or clears an auth cookie goes through it, so the flags cannot drift between login,
refresh, logout and the hosted login page.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import Literal

from starlette.responses import Response

from jotauth.settings import Settings

HOST_PREFIX = "__Host-"
SECURE_PREFIX = "__Secure-"
SameSite = Literal["lax", "strict", "none"]


class CookieConfigError(ValueError):
    """The cookie settings contradict each other or the cookie-prefix rules."""


@dataclass(frozen=True)
class CookieSpec:
    """Name and flags of one cookie."""

    name: str
    path: str
    http_only: bool
    same_site: SameSite
    secure: bool
    domain: str | None


@dataclass(frozen=True)
class CookiePolicy:
    """The three auth cookies: access, refresh and the JS-readable ``XSRF-TOKEN``."""

    access: CookieSpec
    refresh: CookieSpec
    csrf: CookieSpec
    login_form: CookieSpec

    @classmethod
    def from_settings(cls, settings: Settings) -> CookiePolicy:
        """Derive the cookie flags from the settings, refusing combinations browsers reject."""
        secure = settings.cookies_secure
        domain = settings.cookie_domain
        access_name = _effective_name(settings.access_cookie_name, domain)
        refresh_name = _effective_name(settings.refresh_cookie_name, domain)
        refresh_path = settings.refresh_cookie_path or "/"
        for name, path in (
            (access_name, "/"),
            (refresh_name, refresh_path),
            (settings.csrf_cookie_name, "/"),
        ):
            # RFC 6265bis §4.1.3: __Host- cookies need Secure, Path=/ and no Domain;
            # __Secure- cookies need Secure. A browser silently drops anything else.
            if name.startswith(HOST_PREFIX) and (path != "/" or not secure or domain):
                raise CookieConfigError(
                    f"cookie {name!r} has the __Host- prefix, which requires Secure, Path=/ "
                    "and no cookie_domain"
                )
            if name.startswith(SECURE_PREFIX) and not secure:
                raise CookieConfigError(f"cookie {name!r} has the __Secure- prefix without Secure")
        if not refresh_path.startswith("/"):
            raise CookieConfigError("refresh_cookie_path must start with '/'")
        return cls(
            access=CookieSpec(access_name, "/", True, "lax", secure, domain),
            refresh=CookieSpec(refresh_name, refresh_path, True, "strict", secure, domain),
            # Readable by JavaScript on purpose: the SPA copies it into X-XSRF-TOKEN.
            csrf=CookieSpec(settings.csrf_cookie_name, "/", False, "lax", secure, domain),
            # Pre-session nonce of the hosted login form: host-only, never sent cross-site.
            login_form=CookieSpec(
                (HOST_PREFIX if secure else "") + "jot_login_form",
                "/",
                True,
                "strict",
                secure,
                None,
            ),
        )

    def set_session_cookies(
        self,
        response: Response,
        *,
        access_token: str | None,
        access_max_age: int,
        refresh_token: str,
        refresh_max_age: int,
        csrf_token: str,
    ) -> None:
        """Set the cookies of a logged-in session (access is omitted in body delivery)."""
        if access_token is not None:
            _set(response, self.access, access_token, access_max_age)
        _set(response, self.refresh, refresh_token, refresh_max_age)
        _set(response, self.csrf, csrf_token, refresh_max_age)

    def set_login_form_nonce(self, response: Response, nonce: str, *, max_age: int) -> None:
        """Set the hosted login form's nonce cookie."""
        _set(response, self.login_form, nonce, max_age)

    def clear_all(self, response: Response) -> None:
        """Expire every auth cookie (logout), with the same Path/Domain they were set with."""
        for spec in (self.access, self.refresh, self.csrf):
            _set(response, spec, "", 0)


def _effective_name(name: str, domain: str | None) -> str:
    # __Host- forbids a Domain attribute, so a configured parent domain drops the prefix.
    if domain and name.startswith(HOST_PREFIX):
        return name.removeprefix(HOST_PREFIX)
    return name


def _set(response: Response, spec: CookieSpec, value: str, max_age: int) -> None:
    response.raw_headers.append((b"set-cookie", format_set_cookie(spec, value, max_age)))


def format_set_cookie(spec: CookieSpec, value: str, max_age: int) -> bytes:
    """One ``Set-Cookie`` value with canonical attribute spelling (RFC 6265bis §4.1)."""
    if not _COOKIE_VALUE.fullmatch(value):
        # Tokens are base64url/ASCII; anything else would need quoting and is a bug upstream.
        raise ValueError("cookie value contains characters outside the cookie-octet set")
    expires = formatdate(time.time() + max_age, usegmt=True) if max_age > 0 else _EPOCH
    parts = [f"{spec.name}={value}", f"Path={spec.path}", f"Max-Age={max_age}"]
    parts.append(f"Expires={expires}")
    if spec.domain:
        parts.append(f"Domain={spec.domain}")
    if spec.secure:
        parts.append("Secure")
    if spec.http_only:
        parts.append("HttpOnly")
    parts.append(f"SameSite={spec.same_site.capitalize()}")
    return "; ".join(parts).encode("latin-1")


# RFC 6265 §4.1.1 cookie-octet, minus nothing: printable ASCII without space " , ; \
_COOKIE_VALUE = re.compile(r"[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*")
_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
