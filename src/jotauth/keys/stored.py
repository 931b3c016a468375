"""Stored signing keys: the :class:`KeyRing` lifecycle persisted through a repository.

Rotation (DESIGN §4), as implemented here:

* A ``next`` key is always kept published (also when automatic rotation is off, so a
  manual ``jotauth keys rotate`` is ready), so every verifier learns it before it signs.
* The ``current`` key is replaced when it has signed for ``rotation_period`` seconds
  *and* the ``next`` key has been in the JWKS for at least one cache period
  (``publish_ahead``): only then can no verifier meet an unknown ``kid``. The old key
  becomes ``retired`` and stays published until every token it signed has expired
  (``max_token_lifetime``), then it is deleted.
* ``revoke`` unpublishes a key at once; a revoked current key is replaced immediately by
  the next key (or a new one), since a compromised key must stop signing now.

Several instances share the keys through the repository: each reloads the ring on every tick,
and state changes are compare-and-set writes, so two instances rotating at the same moment
cannot both promote a key.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from jotauth import jose
from jotauth.jose import Algorithm
from jotauth.keys.errors import SigningKeysError
from jotauth.keys.lifecycle import KeyRing, KeyState, ManagedKey
from jotauth.keys.pem import generate_signing_key
from jotauth.keys.repository import SigningKeyRepository, StoredKey
from jotauth.keys.signing import PublishedRing, RotationOutcome, RotationResult
from jotauth.keys.x509 import with_x5c

_log = logging.getLogger("jotauth.server.keys")

KeyEvent = Literal["key_rotated", "key_revoked"]


@dataclass(frozen=True, slots=True)
class RotationPolicy:
    """When stored keys rotate; all durations in seconds."""

    algorithm: Algorithm
    rotation_period: float  # how long a key signs before it is replaced; 0: never automatically
    publish_ahead: float  # how long a next key is published before it may sign (JWKS max-age)
    max_token_lifetime: float  # how long a retired key stays published (token life + leeway)


class KeyAudit(Protocol):
    """Where key events are recorded (``jotauth.store.AuditLog`` is one)."""

    async def record(self, event: KeyEvent, *, detail: Mapping[str, Any]) -> None:
        """Record one event."""
        ...


class StoredSigningKeys(PublishedRing):
    """The :class:`~jotauth.keys.signing.SigningKeys` strategy that generates and rotates keys."""

    def __init__(
        self,
        repository: SigningKeyRepository,
        policy: RotationPolicy,
        *,
        clock: Callable[[], float],
        audit: KeyAudit | None = None,
        on_transition: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(policy.algorithm)
        self._repository = repository
        self._policy = policy
        self._clock = clock
        self._audit = audit
        self._on_transition = on_transition or (lambda _transition: None)
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Load the keys; create the first one (and a next one) when the store has none."""
        async with self._lock:
            await self._reload()
            now = self._clock()
            if self._ring.current() is None:
                if self._ring.next() is not None:
                    await self._promote(now)
                else:
                    managed = self._ring.activate_first_key(self._new_key(), now)
                    await self._insert(managed)
                    _log.info("created the first signing key", extra={"kid": managed.kid})
            await self._ensure_next(now)
            await self._reload()

    async def load(self) -> None:
        """Reload the ring from the repository without changing anything."""
        async with self._lock:
            await self._reload()

    async def tick(self) -> None:
        """One automatic-rotation step: reload, publish/promote when due, drop expired keys."""
        async with self._lock:
            await self._reload()
            now = self._clock()
            changed = False
            if self._ring.current() is None and self._ring.next() is not None:
                await self._promote(now)
                changed = True
            changed |= await self._ensure_next(now)
            period = self._policy.rotation_period
            if (
                period > 0
                and self._ring.rotation_due(now, period)
                and self._ring.next_ready(now, self._policy.publish_ahead)
            ):
                await self._promote(now)
                await self._ensure_next(now)
                changed = True
            changed |= await self._drop_expired(now)
            if changed:
                await self._reload()

    async def rotate(self, *, force: bool = False) -> RotationResult:
        """A planned rotation (``jotauth keys rotate``).

        Promotes the next key when it has been published for at least ``publish_ahead``
        seconds (or at once with ``force``), then publishes a fresh next key. Without a next
        key, publishes one and reports when it will be ready. Never leaves the server
        without a signing key.
        """
        async with self._lock:
            await self._reload()
            now = self._clock()
            upcoming = self._ring.next()
            if upcoming is None:
                await self._ensure_next(now)
                await self._reload()
                return self._result("published_next")
            if not force and not self._ring.next_ready(now, self._policy.publish_ahead):
                return self._result("waiting")
            await self._promote(now)
            await self._ensure_next(now)
            await self._reload()
            return self._result("promoted")

    async def revoke(self, kid: str) -> RotationResult:
        """Unpublish ``kid`` at once; a revoked current key is replaced immediately."""
        async with self._lock:
            await self._reload()
            now = self._clock()
            managed = self._ring.get(kid)
            if managed is None:
                raise SigningKeysError(f"no signing key with kid {kid!r}")
            was_current = managed.state is KeyState.CURRENT
            revoked = self._ring.revoke(kid, now)
            await self._save(revoked, expected=managed.state)
            await self._record("key_revoked", {"kid": kid, "previous_state": managed.state.value})
            self._on_transition("revoked")
            if was_current:
                if self._ring.next() is not None:
                    await self._promote(now)
                else:
                    replacement = self._ring.activate_first_key(self._new_key(), now)
                    await self._insert(replacement)
            await self._ensure_next(now)
            await self._reload()
            return self._result("promoted" if was_current else "revoked")

    # --- internals ---------------------------------------------------------------------------

    def _result(self, outcome: RotationOutcome) -> RotationResult:
        current, upcoming = self._ring.current(), self._ring.next()
        return RotationResult(
            outcome=outcome,
            current_kid=current.kid if current else None,
            next_kid=upcoming.kid if upcoming else None,
            ready_at=upcoming.created_at + self._policy.publish_ahead if upcoming else None,
        )

    def _new_key(self) -> jose.Key:
        return with_x5c(generate_signing_key(self._policy.algorithm))

    async def _ensure_next(self, now: float) -> bool:
        if self._ring.next() is not None:
            return False
        managed = self._ring.publish_next_key(self._new_key(), now)
        await self._insert(managed)
        self._on_transition("published_next")
        _log.info("published the next signing key", extra={"kid": managed.kid})
        return True

    async def _promote(self, now: float) -> None:
        upcoming = self._ring.next()
        previous = self._ring.current()
        assert upcoming is not None
        changed = self._ring.promote_next(now, max_token_lifetime=self._policy.max_token_lifetime)
        # Compare-and-set on the promoted key first: of two instances promoting at once,
        # exactly one wins; the loser reloads and sees the winner's ring.
        promoted = next(k for k in changed if k.kid == upcoming.kid)
        if not await self._save(promoted, expected=KeyState.NEXT):
            await self._reload()
            return
        for managed in changed:
            if managed.kid != upcoming.kid:
                await self._save(managed, expected=KeyState.CURRENT)
        await self._record(
            "key_rotated",
            {"kid": upcoming.kid, "previous_kid": previous.kid if previous else None},
        )
        self._on_transition("promoted")
        _log.info("rotated the signing key", extra={"kid": upcoming.kid})

    async def _drop_expired(self, now: float) -> bool:
        gone = self._ring.drop_expired(now)
        for kid in gone:
            await self._repository.delete_key(kid)
        return bool(gone)

    async def _record(self, event: KeyEvent, detail: Mapping[str, Any]) -> None:
        if self._audit is not None:
            await self._audit.record(event, detail=detail)

    async def _insert(self, managed: ManagedKey) -> None:
        await self._save(managed, expected=None)

    async def _save(self, managed: ManagedKey, *, expected: KeyState | None) -> bool:
        return await self._repository.save_key(
            _to_stored(managed), expected_state=expected.value if expected else None
        )

    async def _reload(self) -> None:
        stored = await self._repository.list_keys()
        ring, demoted, duplicates = _ring_from_stored(stored, self._policy.max_token_lifetime)
        for kid in duplicates:
            await self._repository.delete_key(kid)
        for managed in demoted:
            # Two instances created a first key concurrently: keep one current, retire the
            # other (tokens it signed stay verifiable until they expire).
            await self._save(managed, expected=KeyState.CURRENT)
        self._publish(ring)


def _to_stored(managed: ManagedKey) -> StoredKey:
    return StoredKey(
        kid=managed.kid,
        alg=managed.key.alg,
        state=managed.state.value,
        created_at=managed.created_at,
        public_jwk=managed.key.public_key().public_jwk(),
        private_pem=managed.key.private_pem(),
        activated_at=managed.activated_at,
        retired_at=managed.retired_at,
        revoked_at=managed.revoked_at,
        not_after=managed.not_after,
    )


def _from_stored(stored: StoredKey) -> ManagedKey:
    key = jose.Key.from_pem(stored.private_pem, stored.alg, kid=stored.kid)  # type: ignore[arg-type]
    x5c = stored.public_jwk.get("x5c")
    if isinstance(x5c, list) and x5c:
        key = key.with_certificate(base64.b64decode(x5c[0]))
    return ManagedKey(
        key=key,
        state=KeyState(stored.state),
        created_at=stored.created_at,
        activated_at=stored.activated_at,
        retired_at=stored.retired_at,
        revoked_at=stored.revoked_at,
        not_after=stored.not_after,
    )


def _ring_from_stored(
    stored: list[StoredKey], max_token_lifetime: float
) -> tuple[KeyRing, list[ManagedKey], list[str]]:
    """Build a ring, resolving duplicate current/next rows left by concurrent instances."""
    managed = [_from_stored(s) for s in stored]
    demoted: list[ManagedKey] = []
    currents = sorted(
        (m for m in managed if m.state is KeyState.CURRENT),
        key=lambda m: (m.activated_at or m.created_at, m.kid),
    )
    for older in currents[:-1]:
        retired_at = currents[-1].activated_at or currents[-1].created_at
        replacement = dataclasses.replace(
            older,
            state=KeyState.RETIRED,
            retired_at=retired_at,
            not_after=retired_at + max_token_lifetime,
        )
        managed[managed.index(older)] = replacement
        demoted.append(replacement)
    nexts = sorted(
        (m for m in managed if m.state is KeyState.NEXT), key=lambda m: (m.created_at, m.kid)
    )
    # A second next key never signed anything and no instance publishes it (they all
    # resolve the same way): it is deleted, so it can never sign without pre-publication.
    extra_next = [m.kid for m in nexts[1:]]
    ring = KeyRing(m for m in managed if m.kid not in extra_next)
    return ring, demoted, extra_next
