"""The server's signing keys: the :class:`KeyRing` lifecycle persisted in the store.

Rotation (DESIGN §4), as implemented here:

* A ``next`` key is always kept published (also when automatic rotation is off, so a
  manual ``jotauth keys rotate`` is ready), so every verifier learns it before it signs.
* The ``current`` key is replaced when it has signed for ``key_rotation_period`` seconds
  *and* the ``next`` key has been in the JWKS for at least one cache period
  (``jwks_max_age``): only then can no verifier meet an unknown ``kid``. The old key
  becomes ``retired`` and stays published until every token it signed has expired
  (``access_token_ttl + leeway``), then it is deleted.
* ``revoke`` unpublishes a key at once; a revoked current key is replaced immediately by
  the next key (or a new one), since a compromised key must stop signing now.

Several instances share the keys through the store: each reloads the ring on every tick,
and state changes are compare-and-set writes, so two instances rotating at the same moment
cannot both promote a key.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from jotauth import jose
from jotauth.errors import ErrorCode, JotauthError
from jotauth.keys import KeyRing, KeyState, ManagedKey, generate_signing_key, with_x5c
from jotauth.keys.pem import load_pem_file
from jotauth.server.maintenance import run_periodically
from jotauth.settings import Settings
from jotauth.store import AuditLog, KeyRepository, StoredKey

_log = logging.getLogger("jotauth.server.keys")

RotationOutcome = Literal["promoted", "published_next", "waiting", "revoked"]


class SigningKeysError(JotauthError):
    """A key operation that cannot be done (unknown kid, keys from files, no signing key).

    Over HTTP it can only mean "no key to sign with right now": 503, never a 500 or 401.
    """

    code = ErrorCode.SIGNING_KEYS_UNAVAILABLE
    default_detail = "the signing keys are unavailable"


@dataclass(frozen=True)
class RotationResult:
    """What a rotation request did, and why."""

    outcome: RotationOutcome
    current_kid: str | None
    next_kid: str | None
    ready_at: float | None = None  # when a waiting next key may be promoted


@dataclass(frozen=True)
class _Published:
    """An immutable snapshot served on the hot path (signing, JWKS, verification)."""

    signing_key: jose.Key | None
    jwks: dict[str, Any]
    key_set: jose.KeySet


class SigningKeys:
    """Loads, rotates and serves the signing keys; one instance per app."""

    def __init__(
        self,
        settings: Settings,
        repository: KeyRepository | None,
        *,
        clock: Callable[[], float],
        audit: AuditLog | None = None,
        on_transition: Callable[[str], None] | None = None,
    ) -> None:
        if settings.algorithm == "HS256":
            # A shared secret cannot be published in a JWKS; an auth server whose tokens
            # are verified elsewhere needs an asymmetric algorithm (DESIGN §3).
            raise SigningKeysError("the auth server signs with an asymmetric algorithm, not HS256")
        self._settings = settings
        self._repository = repository
        self._clock = clock
        self._audit = audit
        self._on_transition = on_transition or (lambda _transition: None)
        self._ring = KeyRing()
        self._published = _Published(None, {"keys": []}, jose.KeySet())
        self._fingerprint: tuple[str | None, tuple[str, ...]] | None = None
        self._lock = asyncio.Lock()

    # --- hot path: memory only ---------------------------------------------------------

    def signing_key(self) -> jose.Key:
        """The key that signs now (raises when there is none, e.g. right after a revoke)."""
        key = self._published.signing_key
        if key is None:
            raise SigningKeysError("no current signing key")
        return key

    def jwks(self) -> dict[str, Any]:
        """The public JWKS: next, current and still-needed retired keys."""
        return self._published.jwks

    def key_set(self) -> jose.KeySet:
        """The published keys as a :class:`KeySet`, for verifying our own tokens."""
        return self._published.key_set

    def managed_keys(self) -> list[ManagedKey]:
        """Every key of the ring in any state (for ``jotauth keys list``)."""
        return sorted(self._ring, key=lambda k: (k.created_at, k.kid))

    @property
    def publish_ahead(self) -> float:
        """How long a next key is published before it may sign: one JWKS cache period."""
        return float(self._settings.jwks_max_age)

    @property
    def max_token_lifetime(self) -> float:
        """How long a retired key must stay published: its last token's life plus leeway."""
        return float(self._settings.access_token_ttl + self._settings.leeway)

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the keys; create the first one (and a next one) when the store has none."""
        if self._settings.signing_key_files:
            self._load_files(self._settings.signing_key_files)
            return
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
        """Reload the ring from the store (or the PEM files) without changing anything."""
        if self._settings.signing_key_files:
            self._load_files(self._settings.signing_key_files)
            return
        async with self._lock:
            await self._reload()

    async def tick(self) -> None:
        """One automatic-rotation step: reload, publish/promote when due, drop expired keys."""
        if self._settings.signing_key_files:
            return
        async with self._lock:
            await self._reload()
            now = self._clock()
            changed = False
            if self._ring.current() is None and self._ring.next() is not None:
                await self._promote(now)
                changed = True
            changed |= await self._ensure_next(now)
            period = self._settings.key_rotation_period
            if (
                period > 0
                and self._ring.rotation_due(now, period)
                and self._ring.next_ready(now, self.publish_ahead)
            ):
                await self._promote(now)
                await self._ensure_next(now)
                changed = True
            changed |= await self._drop_expired(now)
            if changed:
                await self._reload()

    async def rotate(self, *, force: bool = False) -> RotationResult:
        """A planned rotation (``jotauth keys rotate``).

        Promotes the next key when it has been published for at least ``jwks_max_age``
        seconds (or at once with ``force``), then publishes a fresh next key. Without a next
        key, publishes one and reports when it will be ready. Never leaves the server
        without a signing key.
        """
        self._refuse_files()
        async with self._lock:
            await self._reload()
            now = self._clock()
            upcoming = self._ring.next()
            if upcoming is None:
                await self._ensure_next(now)
                await self._reload()
                return self._result("published_next", now)
            if not force and not self._ring.next_ready(now, self.publish_ahead):
                return self._result("waiting", now)
            await self._promote(now)
            await self._ensure_next(now)
            await self._reload()
            return self._result("promoted", now)

    async def revoke(self, kid: str) -> RotationResult:
        """Unpublish ``kid`` at once; a revoked current key is replaced immediately."""
        self._refuse_files()
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
            return self._result("promoted" if was_current else "revoked", now)

    async def run_rotation(self, stop: asyncio.Event) -> None:
        """Background task: :meth:`tick` every few seconds until ``stop`` is set.

        The interval is a quarter of the JWKS cache period (bounded to 0.25-30 s) so a key
        revoked by another instance or the CLI leaves this instance's JWKS quickly.
        """
        interval = min(30.0, max(0.25, self._settings.jwks_max_age / 4))
        # A failed tick keeps serving the keys we have; the next one retries.
        await run_periodically(self.tick, interval=interval, stop=stop, what="key rotation check")

    # --- internals ---------------------------------------------------------------------------

    def _result(self, outcome: RotationOutcome, now: float) -> RotationResult:
        current, upcoming = self._ring.current(), self._ring.next()
        return RotationResult(
            outcome=outcome,
            current_kid=current.kid if current else None,
            next_kid=upcoming.kid if upcoming else None,
            ready_at=upcoming.created_at + self.publish_ahead if upcoming else None,
        )

    def _refuse_files(self) -> None:
        if self._settings.signing_key_files:
            raise SigningKeysError("keys come from PEM files; rotate them by replacing the files")

    def _new_key(self) -> jose.Key:
        return with_x5c(generate_signing_key(self._settings.algorithm))

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
        changed = self._ring.promote_next(now, max_token_lifetime=self.max_token_lifetime)
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
        if self._repository is not None:
            for kid in gone:
                await self._repository.delete_key(kid)
        return bool(gone)

    async def _record(self, event: Literal["key_rotated", "key_revoked"], detail: Any) -> None:
        if self._audit is not None:
            await self._audit.record(event, detail=detail)

    async def _insert(self, managed: ManagedKey) -> None:
        await self._save(managed, expected=None)

    async def _save(self, managed: ManagedKey, *, expected: KeyState | None) -> bool:
        if self._repository is None:
            return True
        return await self._repository.save_key(
            _to_stored(managed), expected_state=expected.value if expected else None
        )

    async def _reload(self) -> None:
        if self._repository is None:
            self._publish()
            return
        stored = await self._repository.list_keys()
        ring, demoted, duplicates = _ring_from_stored(stored, self.max_token_lifetime)
        self._ring = ring
        for kid in duplicates:
            await self._repository.delete_key(kid)
        for managed in demoted:
            # Two instances created a first key concurrently: keep one current, retire the
            # other (tokens it signed stay verifiable until they expire).
            await self._save(managed, expected=KeyState.CURRENT)
        self._publish()

    def _publish(self) -> None:
        current = self._ring.current()
        published = self._ring.published()
        fingerprint = (current.kid if current else None, tuple(sorted(k.kid for k in published)))
        if fingerprint == self._fingerprint:
            return  # unchanged: keep the snapshot (and the verifier built on it, with its cache)
        self._fingerprint = fingerprint
        self._published = _Published(
            signing_key=current.key if current else None,
            jwks=self._ring.jwks(),
            key_set=jose.KeySet(k.key.public_key() for k in published),
        )

    def _load_files(self, paths: Iterable[Any]) -> None:
        now = self._clock()
        keys = [load_pem_file(path, self._settings.algorithm) for path in paths]
        managed = [
            ManagedKey(
                key=with_x5c(key),
                state=KeyState.CURRENT if index == 0 else KeyState.RETIRED,
                created_at=now,
                activated_at=now,
            )
            for index, key in enumerate(keys)
        ]
        if not managed or not managed[0].key.is_private:
            raise SigningKeysError("the first signing key file must hold a private key")
        self._ring = KeyRing(managed)
        self._publish()


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
