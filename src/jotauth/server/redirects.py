"""``return_to`` validation: redirect only to allowlisted origins (no open redirect).

Browsers are lenient URL parsers (WHATWG URL): ``//evil``, ``/\\evil``, ``https:evil``,
``https://good@evil`` and embedded tabs/newlines all navigate somewhere else than a naive
``startswith`` check expects. So the rule here is strict and positive: a ``return_to`` is
either a plain absolute path on the auth server or an absolute ``http(s)://`` URL made of
printable ASCII without backslashes or userinfo whose origin is on the allowlist
(OWASP Unvalidated Redirects cheat sheet; RFC 3986 §3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7E]+")
_SCHEME_AND_AUTHORITY = re.compile(r"(?i)https?://[^/?#]")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class HttpUrl:
    """An absolute http(s) URL that passed the strict checks."""

    scheme: str
    host: str
    port: int | None
    path: str
    query: str
    fragment: str

    @property
    def origin(self) -> str:
        """``scheme://host[:port]``, with the default port left out (RFC 6454 §6.2)."""
        default = _DEFAULT_PORTS[self.scheme]
        port = "" if self.port in (None, default) else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}"


def parse_http_url(value: str) -> HttpUrl | None:
    """Parse an absolute http(s) URL strictly; None for anything ambiguous or hostile."""
    if len(value) > MAX_URL_LENGTH or not _PRINTABLE_ASCII.fullmatch(value) or "\\" in value:
        return None
    if not _SCHEME_AND_AUTHORITY.match(value):
        return None  # rejects https:evil, javascript:, data:, ///evil, relative forms
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    if "@" in parts.netloc:
        return None  # userinfo: https://good@evil goes to evil
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # urlsplit strips the brackets of an IPv6 literal
    if not _HOST.fullmatch(host) or ".." in host:
        return None
    return HttpUrl(parts.scheme.lower(), host, port, parts.path, parts.query, parts.fragment)


class ReturnToPolicy:
    """Decides whether a ``return_to`` value may be redirected to."""

    def __init__(self, *, own_origin: str, allowed_origins: frozenset[str]) -> None:
        self.own_origin = own_origin
        self.allowed_origins = allowed_origins

    def resolve(self, value: str | None) -> str | None:
        """The URL to redirect to, or None when ``value`` is missing or not allowed."""
        if not value:
            return None
        if value.startswith("/"):
            # A path on the auth server itself; "//host" and "/\\host" are network-path
            # references to another host in browsers, so both are refused.
            if value.startswith("//") or "\\" in value:
                return None
            if len(value) > MAX_URL_LENGTH or not _PRINTABLE_ASCII.fullmatch(value):
                return None
            return self.own_origin + value
        parsed = parse_http_url(value)
        if parsed is None or parsed.origin not in self.allowed_origins:
            return None
        return value
