"""Where an access token may come from, read strictly: the Bearer header, a cookie, or the
WebSocket subprotocol list. No framework types: the ASGI and WSGI guards both use this.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal, NamedTuple

from .errors import MalformedAuthorization

TokenSource = Literal["header", "cookie"]
TOKEN_SOURCES: tuple[TokenSource, ...] = ("header", "cookie")
# The WebSocket subprotocol that announces a bearer token in the next list entry: browsers
# cannot set Authorization on a WebSocket, so the token travels as a subprotocol value.
WEBSOCKET_BEARER_PROTOCOL = "jotauth.bearer"

# RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token, b64token = 1*( ALPHA / DIGIT /
# "-" / "." / "_" / "~" / "+" / "/" ) *"=". The scheme is case-insensitive (RFC 9110
# §11.1); anything else after the scheme (a second token, a comma list) is malformed.
_BEARER = re.compile(rb"[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9\-._~+/]+=*)")
_SCHEME = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class Credentials(NamedTuple):
    """An access token and where it was found (``cookie`` ones need CSRF protection)."""

    token: str
    source: Literal["header", "cookie", "subprotocol"]


def bearer_token(values: Sequence[bytes]) -> str | None:
    """The token of the ``Authorization`` header values, or None when there is no Bearer one.

    Raises :class:`MalformedAuthorization` (400 ``invalid_request``, RFC 6750 §3.1) for a
    repeated header or a Bearer header that breaks the §2.1 syntax. Another scheme
    (``Basic …``) is not a Bearer credential: None, so the answer is a bare challenge.
    """
    if not values:
        return None
    if len(values) > 1:
        raise MalformedAuthorization("Send exactly one Authorization header.")
    value = values[0].strip(b" \t")
    match = _BEARER.fullmatch(value)
    if match is not None:
        return match.group(1).decode("ascii")
    scheme = value.split(b" ", 1)[0]
    if scheme.lower() == b"bearer" or _SCHEME.fullmatch(scheme) is None:
        raise MalformedAuthorization()
    return None


def cookie_value(cookie_header: str | None, name: str) -> str | None:
    """The first value of cookie ``name`` in a ``Cookie`` header (RFC 6265 §5.4 sends the
    most specific path first), without its optional double quotes."""
    if not cookie_header or name not in cookie_header:
        return None
    for pair in cookie_header.split(";"):
        key, sep, value = pair.partition("=")
        if sep and key.strip() == name:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value or None
    return None


def subprotocol_token(subprotocols: Sequence[str]) -> str | None:
    """The bearer token offered as ``["jotauth.bearer", "<token>"]`` WebSocket subprotocols."""
    try:
        index = subprotocols.index(WEBSOCKET_BEARER_PROTOCOL)
    except ValueError:
        return None
    if index + 1 >= len(subprotocols):
        raise MalformedAuthorization("The jotauth.bearer subprotocol must be followed by a token.")
    return subprotocols[index + 1]
