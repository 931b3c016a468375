"""Reading ``Set-Cookie`` headers and writing ``Cookie`` headers byte for byte.

The tests look at the raw headers (not httpx's cookie jar) because the exact attributes the
server sends are what they assert, and because httpx's jar drops ``Secure`` cookies on
plain-HTTP loopback servers.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """The cookie values a response sets, by name (empty string for a cleared cookie)."""
    jar = {}
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        jar[name] = "" if "Max-Age=0" in header else rest.split(";", 1)[0]
    return jar


def set_cookie_flags(response: httpx.Response) -> dict[str, str]:
    """``Set-Cookie`` attributes by cookie name, without the value and the time-dependent
    ``Expires``/``Max-Age``: ``"Path=/; Secure; HttpOnly; SameSite=Lax"``."""
    flags = {}
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        attributes = [p for p in rest.split("; ")[1:] if not p.startswith(("Expires=", "Max-Age="))]
        flags[name] = "; ".join(attributes)
    return flags


def cookie_header(jar: Mapping[str, str]) -> str:
    """A ``Cookie`` request header carrying the jar's non-empty cookies."""
    return "; ".join(f"{name}={value}" for name, value in jar.items() if value)
