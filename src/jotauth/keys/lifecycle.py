"""The signing-key lifecycle of DESIGN §4 as a pure in-memory model.

``next`` (published, not signing) → ``current`` (signs, published) → ``retired``
(published until every token it signed has expired) → gone; ``revoked`` (unpublished at
once). The server persists :class:`ManagedKey` rows and rebuilds a :class:`KeyRing` from
them; everything here is deterministic given ``now``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..errors import ErrorCode, JotauthError
from ..jose import Key


class KeyState(StrEnum):
    NEXT = "next"
    CURRENT = "current"
    RETIRED = "retired"
    REVOKED = "revoked"


class KeyLifecycleError(JotauthError):
    """An operation that the lifecycle does not allow (e.g. revoking an unknown kid)."""

    code = ErrorCode.KEY_LIFECYCLE
    default_detail = "the key lifecycle does not allow this operation"


@dataclass(frozen=True, slots=True)
class ManagedKey:
    """One signing key and where it stands in its lifecycle (times are Unix seconds)."""

    key: Key
    state: KeyState
    created_at: float
    activated_at: float | None = None
    retired_at: float | None = None
    revoked_at: float | None = None
    # When a retired key may disappear: retirement + longest lifetime of a token it signed.
    not_after: float | None = None

    @property
    def kid(self) -> str:
        return self.key.kid

    @property
    def published(self) -> bool:
        return self.state in (KeyState.NEXT, KeyState.CURRENT, KeyState.RETIRED)


class KeyRing:
    """All known signing keys; at most one ``current`` and one ``next``."""

    def __init__(self, keys: Iterable[ManagedKey] = ()) -> None:
        self._keys: dict[str, ManagedKey] = {}
        for managed in keys:
            self._keys[managed.kid] = managed
        for state in (KeyState.CURRENT, KeyState.NEXT):
            if sum(1 for k in self._keys.values() if k.state is state) > 1:
                raise KeyLifecycleError(f"more than one {state} key")

    def __iter__(self) -> Any:
        return iter(self._keys.values())

    def get(self, kid: str) -> ManagedKey | None:
        """The managed key with ``kid``, in any state."""
        return self._keys.get(kid)

    def _in_state(self, state: KeyState) -> ManagedKey | None:
        return next((k for k in self._keys.values() if k.state is state), None)

    def current(self) -> ManagedKey | None:
        """The key that signs now."""
        return self._in_state(KeyState.CURRENT)

    def next(self) -> ManagedKey | None:
        """The pre-published key that will sign after the next rotation."""
        return self._in_state(KeyState.NEXT)

    def published(self) -> list[ManagedKey]:
        """Exactly the keys a JWKS must show: next, current and unexpired retired ones."""
        return [k for k in self._keys.values() if k.published]

    def jwks(self) -> dict[str, Any]:
        """The public JWKS document."""
        return {"keys": [k.key.public_key().public_jwk() for k in self.published()]}

    # --- transitions (each returns the keys it changed, for the store to persist) ----------

    def _put(self, managed: ManagedKey) -> ManagedKey:
        self._keys[managed.kid] = managed
        return managed

    def publish_next_key(self, key: Key, now: float) -> ManagedKey:
        """Publish ``key`` as ``next``: verifiers learn it before it ever signs."""
        if self.next() is not None:
            raise KeyLifecycleError("a next key is already published")
        if key.kid in self._keys:
            raise KeyLifecycleError(f"kid {key.kid!r} is already known")
        return self._put(ManagedKey(key=key, state=KeyState.NEXT, created_at=now))

    def activate_first_key(self, key: Key, now: float) -> ManagedKey:
        """Bootstrap: with no key at all, ``key`` signs at once (nothing to pre-announce to)."""
        if self.current() is not None:
            raise KeyLifecycleError("a current key exists already")
        if key.kid in self._keys:  # e.g. a revoked key: revocation is final
            raise KeyLifecycleError(f"kid {key.kid!r} is already known")
        return self._put(
            ManagedKey(key=key, state=KeyState.CURRENT, created_at=now, activated_at=now)
        )

    def promote_next(self, now: float, *, max_token_lifetime: float) -> list[ManagedKey]:
        """``next`` becomes ``current``; the old current is ``retired`` until its tokens expire."""
        upcoming = self.next()
        if upcoming is None:
            raise KeyLifecycleError("no next key to promote")
        changed = []
        current = self.current()
        if current is not None:
            changed.append(
                self._put(
                    dataclasses.replace(
                        current,
                        state=KeyState.RETIRED,
                        retired_at=now,
                        not_after=now + max_token_lifetime,
                    )
                )
            )
        changed.append(
            self._put(dataclasses.replace(upcoming, state=KeyState.CURRENT, activated_at=now))
        )
        return changed

    def drop_expired(self, now: float) -> list[str]:
        """Forget retired keys whose every token has expired; returns their kids."""
        gone = [
            k.kid
            for k in self._keys.values()
            if k.state is KeyState.RETIRED and k.not_after is not None and k.not_after <= now
        ]
        for kid in gone:
            del self._keys[kid]
        return gone

    def revoke(self, kid: str, now: float) -> ManagedKey:
        """Unpublish ``kid`` at once (compromise). Revoking the current key leaves no signer
        until :meth:`promote_next` or :meth:`activate_first_key` runs."""
        managed = self._keys.get(kid)
        if managed is None:
            raise KeyLifecycleError(f"unknown kid {kid!r}")
        if managed.state is KeyState.REVOKED:
            return managed
        return self._put(dataclasses.replace(managed, state=KeyState.REVOKED, revoked_at=now))

    def next_ready(self, now: float, publish_ahead: float) -> bool:
        """Whether the next key has been published long enough (one JWKS cache period) for
        every verifier to know it: only then may it sign (DESIGN §4)."""
        upcoming = self.next()
        return upcoming is not None and now - upcoming.created_at >= publish_ahead

    def rotation_due(self, now: float, period: float) -> bool:
        """Whether the current key has signed for ``period`` seconds (0 disables)."""
        current = self.current()
        if period <= 0 or current is None:
            return current is None
        return now - (current.activated_at or current.created_at) >= period
