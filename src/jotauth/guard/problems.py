"""The guard's one mapping from :class:`GuardError` to HTTP (RFC 9457 + RFC 6750 §3).

Rendered as raw ASGI messages (no framework response objects on the error path either), and
as plain ``(status, headers, body)`` for the Flask extension.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from .errors import GuardError, InsufficientScope

PROBLEM_JSON = "application/problem+json"
DEFAULT_REALM = "jotauth"
_PROBLEM_TYPE_BASE = "https://jotauth.dev/problems/"
_MAX_DESCRIPTION = 200

Headers = list[tuple[bytes, bytes]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _header_safe(text: str) -> str:
    # RFC 6750 §3: error_description and scope are limited to %x20-21 / %x23-5B / %x5D-7E
    # (no quote, no backslash, ASCII). Details may echo token contents, so they are
    # replaced rather than escaped, and truncated.
    safe = "".join(c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "?" for c in text)
    return safe[:_MAX_DESCRIPTION]


def bearer_challenge(error: GuardError | None, realm: str) -> str:
    """The ``WWW-Authenticate`` value: bare ``Bearer realm`` unless ``error`` names a code."""
    challenge = f'Bearer realm="{_header_safe(realm)}"'
    if error is None or error.challenge_error is None:
        return challenge  # RFC 6750 §3.1: no error code when no credentials were sent
    challenge += f', error="{error.challenge_error}"'
    challenge += f', error_description="{_header_safe(error.detail)}"'
    if isinstance(error, InsufficientScope) and error.scopes:
        challenge += f', scope="{_header_safe(" ".join(error.scopes))}"'
    return challenge


def problem_body(error: GuardError) -> bytes:
    """The RFC 9457 document of ``error``."""
    document = {
        "type": _PROBLEM_TYPE_BASE + error.code,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def problem_headers(error: GuardError, realm: str, body_length: int) -> Headers:
    """Response headers of ``error``: content type, no-store, and the challenge if any."""
    headers: Headers = [
        (b"content-type", PROBLEM_JSON.encode("ascii")),
        (b"content-length", str(body_length).encode("ascii")),
        # RFC 6750 §5.3 / RFC 9111: authentication answers must not be cached.
        (b"cache-control", b"no-store"),
    ]
    if error.status == 401 or error.challenge_error is not None:
        headers.append((b"www-authenticate", bearer_challenge(error, realm).encode("ascii")))
    if error.status == 503:
        headers.append((b"retry-after", b"5"))
    return headers


async def send_problem(
    send: Send,
    error: GuardError,
    realm: str,
    extra_headers: Iterable[tuple[bytes, bytes]] = (),
) -> None:
    """Answer an HTTP request with ``error`` as problem+json."""
    body = problem_body(error)
    headers = problem_headers(error, realm, len(body))
    headers.extend(extra_headers)
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
