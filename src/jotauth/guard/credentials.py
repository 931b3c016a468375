"""Where an access token may come from, read strictly: the Bearer header, a cookie, or the
WebSocket subprotocol list. No framework types: the ASGI and WSGI guards both use this.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

from jotauth.http.bearer import MalformedBearer
from jotauth.http.bearer import bearer_token as parse_bearer

from .errors import MalformedAuthorization

TokenSource = Literal["header", "cookie"]
TOKEN_SOURCES: tuple[TokenSource, ...] = ("header", "cookie")
# The WebSocket subprotocol that announces a bearer token in the next list entry: browsers
# cannot set Authorization on a WebSocket, so the token travels as a subprotocol value.
WEBSOCKET_BEARER_PROTOCOL = "jotauth.bearer"


class Credentials(NamedTuple):
    """An access token and where it was found (``cookie`` ones need CSRF protection)."""

    token: str | bytes
    source: Literal["header", "cookie", "subprotocol"]


def bearer_token(values: Sequence[bytes]) -> bytes | None:
    """:func:`jotauth.http.bearer.bearer_token`, failing as the guard's 400
    :class:`MalformedAuthorization` (RFC 6750 §3.1 ``invalid_request``)."""
    try:
        return parse_bearer(values)
    except MalformedBearer as error:
        raise MalformedAuthorization(error.detail) from None


def subprotocol_token(subprotocols: Sequence[str]) -> str | None:
    """The bearer token offered as ``["jotauth.bearer", "<token>"]`` WebSocket subprotocols."""
    try:
        index = subprotocols.index(WEBSOCKET_BEARER_PROTOCOL)
    except ValueError:
        return None
    if index + 1 >= len(subprotocols):
        raise MalformedAuthorization("The jotauth.bearer subprotocol must be followed by a token.")
    return subprotocols[index + 1]
