"""The session-bound CSRF token, derived in one place for the auth server and the guard.

The auth server sets ``XSRF-TOKEN = base64url(HMAC-SHA256(K, session id))`` with
``K = HMAC-SHA256(secret, "jotauth/csrf/v1")``. A resource server that shares the secret
recomputes the value from the access token's ``sid`` claim, so a token planted from another
session (cookie tossing from a sibling subdomain) is refused (OWASP CSRF cheat sheet,
"Signed Double-Submit Cookie").
"""

from __future__ import annotations

import base64
import hashlib
import hmac

# Key separation (RFC 5869 style labelling): the CSRF HMAC key can never be confused with
# another use of the same secret (key encryption, login-form tokens).
_CSRF_KEY_LABEL = b"jotauth/csrf/v1"


def csrf_key(secret: bytes) -> bytes:
    """The CSRF sub-key derived from the server secret."""
    return hmac.new(secret, _CSRF_KEY_LABEL, hashlib.sha256).digest()


def session_csrf_token(key: bytes, session_id: str) -> str:
    """The ``XSRF-TOKEN`` value bound to ``session_id`` under the sub-key ``key``."""
    mac = hmac.new(key, session_id.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def matches_session(key: bytes, value: str | None, session_id: str | None) -> bool:
    """Whether ``value`` is the CSRF token of ``session_id``, compared in constant time."""
    if not value or not session_id:
        return False
    if not value.isascii():  # our tokens are base64url; "replace" would make é equal è
        return False
    expected = session_csrf_token(key, session_id).encode("ascii")
    return hmac.compare_digest(value.encode("ascii"), expected)
