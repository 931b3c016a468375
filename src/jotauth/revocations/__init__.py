"""Revocation fan-out (DESIGN §9): how resource servers learn that sessions ended.

The auth server publishes the ids of sessions ended within the last access-token lifetime
(after that their access tokens have expired anyway) in two ways: a pollable document at
``/.well-known/jotauth-revocations`` (short ``max-age``, ETag) and, where Redis is configured,
a pub/sub message per revocation. Both carry the same JSON shape, :class:`RevocationDocument`;
the guard's consumers are in :mod:`jotauth.guard.revocations`.
"""

from jotauth.revocations.document import (
    MAX_ENTRIES,
    REDIS_CHANNEL,
    InvalidRevocationDocument,
    RevocationDocument,
)

__all__ = ["MAX_ENTRIES", "REDIS_CHANNEL", "InvalidRevocationDocument", "RevocationDocument"]
