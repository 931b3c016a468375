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
_B64TOKEN_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"
_SCHEME = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 6265 §4.1.1: cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E, i.e. US-ASCII
# without controls, whitespace, DQUOTE, comma, semicolon and backslash.
_COOKIE_VALUE = re.compile(r"[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+")


class Credentials(NamedTuple):
    """An access token and where it was found (``cookie`` ones need CSRF protection)."""

    token: str | bytes
    source: Literal["header", "cookie", "subprotocol"]


def bearer_token(values: Sequence[bytes]) -> bytes | None:
    """The token of the ``Authorization`` header values, or None when there is no Bearer one.

    Bytes, as the verifier wants them: no decode/encode round trip on the hot path.

    Raises :class:`MalformedAuthorization` (400 ``invalid_request``, RFC 6750 §3.1) for a
    repeated header or a Bearer header that breaks the §2.1 syntax. Another scheme
    (``Basic …``) is not a Bearer credential: None, so the answer is a bare challenge.
    """
    if not values:
        return None
    if len(values) > 1:
        raise MalformedAuthorization("Send exactly one Authorization header.")
    scheme, _, rest = values[0].strip(b" \t").partition(b" ")
    if scheme.lower() != b"bearer":
        if _SCHEME.fullmatch(scheme) is None:
            raise MalformedAuthorization()
        return None
    token = rest.lstrip(b" ")
    body = token.rstrip(b"=")
    # bytes.translate with a delete table: C speed on the hot path, no regex over the token.
    # "=" is not in the table, so an "=" before the trailing padding is left over too.
    if not body or body.translate(None, _B64TOKEN_CHARS):
        raise MalformedAuthorization()
    return token


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


def is_cookie_value(value: str) -> bool:
    """Whether ``value`` is ``1*cookie-octet`` (RFC 6265 §4.1.1): what a server may set, and
    so all a cookie the guard forwards elsewhere may contain."""
    return _COOKIE_VALUE.fullmatch(value) is not None


def subprotocol_token(subprotocols: Sequence[str]) -> str | None:
    """The bearer token offered as ``["jotauth.bearer", "<token>"]`` WebSocket subprotocols."""
    try:
        index = subprotocols.index(WEBSOCKET_BEARER_PROTOCOL)
    except ValueError:
        return None
    if index + 1 >= len(subprotocols):
        raise MalformedAuthorization("The jotauth.bearer subprotocol must be followed by a token.")
    return subprotocols[index + 1]
