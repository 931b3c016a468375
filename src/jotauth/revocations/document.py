"""The one wire format of revocations, for the feed document and the Redis messages."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The Redis pub/sub channel revocations are published on (one Redis per deployment).
REDIS_CHANNEL = "jotauth:revocations"
# More entries than this in one document or message are refused: a guard's memory stays
# bounded whatever the feed (or whoever can publish on the channel) sends.
MAX_ENTRIES = 100_000
# Session ids and key ids are short printable tokens; anything else is refused.
_ID = re.compile(r"[A-Za-z0-9_\-.~]{1,128}")


class InvalidRevocationDocument(ValueError):
    """A feed document or message that is not the shape below; nothing of it is applied."""


@dataclass(frozen=True, slots=True)
class RevocationDocument:
    """Ended sessions and revoked keys, each with the POSIX time until which to refuse it
    (its revocation plus the access-token lifetime and leeway)."""

    sessions: Mapping[str, float] = field(default_factory=dict)
    keys: Mapping[str, float] = field(default_factory=dict)

    def to_json(self) -> bytes:
        """Compact, key-sorted JSON (so equal documents have equal bytes and ETags)."""
        body = {
            "sessions": dict(sorted(self.sessions.items())),
            "keys": dict(sorted(self.keys.items())),
        }
        return json.dumps(body, separators=(",", ":")).encode("ascii")

    def etag(self) -> str:
        """A strong ETag of :meth:`to_json`."""
        return '"' + hashlib.sha256(self.to_json()).hexdigest()[:32] + '"'

    @classmethod
    def from_json(cls, data: bytes | str) -> RevocationDocument:
        """Parse strictly; raises :class:`InvalidRevocationDocument`."""
        try:
            raw: Any = json.loads(data)
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidRevocationDocument("not JSON") from error
        if not isinstance(raw, dict):
            raise InvalidRevocationDocument("not a JSON object")
        return cls(sessions=_entries(raw.get("sessions", {})), keys=_entries(raw.get("keys", {})))


def _entries(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        raise InvalidRevocationDocument("entries must be an object of id -> time")
    if len(value) > MAX_ENTRIES:
        raise InvalidRevocationDocument(f"more than {MAX_ENTRIES} entries")
    entries: dict[str, float] = {}
    for key, until in value.items():
        if not _ID.fullmatch(key):
            raise InvalidRevocationDocument("an id is not a short printable token")
        if (
            isinstance(until, bool)
            or not isinstance(until, int | float)
            or not math.isfinite(until)
        ):
            raise InvalidRevocationDocument("a time is not a finite number")
        entries[key] = float(until)
    return entries
