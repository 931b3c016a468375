"""A bounded cache of successfully verified tokens, keyed by a digest of the exact token bytes."""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable

from ..jose import Claims, Key


class VerifiedTokenCache:
    """FIFO-bounded map from a token digest to (claims, key that verified it).

    Only successes go in. A hit is only as good as its key: the verifier checks that the
    key is still published and re-checks ``exp``/``nbf`` on every hit.
    """

    __slots__ = ("_entries", "_max_entries", "get")

    def __init__(self, max_entries: int = 10_000) -> None:
        if max_entries < 0:
            raise ValueError("max_entries cannot be negative")
        self._max_entries = max_entries
        self._entries: OrderedDict[bytes, tuple[Claims, Key]] = OrderedDict()
        # ``get(token)``: the cached verification of ``token``, if any. The dict's own
        # method, bound once: a look-up on every request costs no Python frame.
        self.get: Callable[[bytes], tuple[Claims, Key] | None] = self._entries.get

    def put(self, token: bytes, claims: Claims, key: Key) -> None:
        """Remember a successful verification, evicting the oldest entry when full."""
        if self._max_entries == 0:
            return
        entries = self._entries
        if len(entries) >= self._max_entries:
            with contextlib.suppress(KeyError):  # emptied by another thread meanwhile
                entries.popitem(last=False)
        entries[token] = (claims, key)

    def discard(self, token: bytes) -> None:
        """Forget ``token`` (expired, or its key is gone)."""
        self._entries.pop(token, None)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
