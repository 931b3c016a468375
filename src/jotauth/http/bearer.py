"""The one parser of the ``Authorization`` header (RFC 6750 §2.1), for the guard and the server."""

from __future__ import annotations

import re
from collections.abc import Sequence

# RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token, b64token = 1*( ALPHA / DIGIT /
# "-" / "." / "_" / "~" / "+" / "/" ) *"=". The scheme is case-insensitive (RFC 9110
# §11.1); anything else after the scheme (a second token, a comma list) is malformed.
_B64TOKEN_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"
_SCHEME = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class MalformedBearer(ValueError):
    """An ``Authorization`` header that is repeated or breaks the RFC 6750 §2.1 syntax.

    RFC 6750 §3.1 answers it with 400 ``invalid_request``; ``detail`` says what was wrong.
    """

    def __init__(self, detail: str = "The Authorization header must be exactly 'Bearer <token>'."):
        super().__init__(detail)
        self.detail = detail


def bearer_token(values: Sequence[bytes]) -> bytes | None:
    """The Bearer token of a request's ``Authorization`` header values (raw bytes, as ASGI
    gives them), or None when there is none or the header names another scheme.

    Bytes in and out: no decode/encode round trip on the hot path, and the verifier takes
    bytes. Raises :class:`MalformedBearer` for a repeated header or a Bearer header that
    breaks the §2.1 syntax. Another scheme (``Basic …``) is not a Bearer credential: None,
    which RFC 6750 §3.1 answers with a bare challenge.
    """
    if not values:
        return None
    if len(values) > 1:
        raise MalformedBearer("Send exactly one Authorization header.")
    scheme, _, rest = values[0].strip(b" \t").partition(b" ")
    if scheme.lower() != b"bearer":
        if _SCHEME.fullmatch(scheme) is None:
            raise MalformedBearer()
        return None
    token = rest.lstrip(b" ")
    body = token.rstrip(b"=")
    # bytes.translate with a delete table: C speed on the hot path, no regex over the token.
    # "=" is not in the table, so an "=" before the trailing padding is left over too.
    if not body or body.translate(None, _B64TOKEN_CHARS):
        raise MalformedBearer()
    return token
