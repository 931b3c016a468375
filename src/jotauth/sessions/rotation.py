"""Rotating one refresh token: the single-winner UPDATE, redeemable predecessors, reuse.

A rotated token stays redeemable until its successor has been used (SuperTokens' parent/child
rule), and within ``grace_period`` after that use (concurrent tabs); every redeemable
presentation gets the session's head token, kept sealed on the rotated rows meanwhile. After
that, a presentation is reuse: the session is revoked in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from jotauth.sessions.errors import (
    InvalidRefreshToken,
    RefreshConflict,
    SessionError,
    SessionExpired,
    SessionRevoked,
)
from jotauth.sessions.models import IssuedRefresh, RefreshDelivery, SessionInfo, SessionPolicy
from jotauth.sessions.rows import revoke_in, session_from_row
from jotauth.sessions.rows import token_row as find_token
from jotauth.sessions.tokens import hash_refresh_token, new_refresh_token
from jotauth.store import AuditLog, SealBroken, Sealer, Store
from jotauth.store.schema import refresh_tokens, sessions

_log = logging.getLogger("jotauth.sessions")

# Successors followed at most; a grace window sees a handful of rotations, never this many.
_MAX_CHAIN = 64


class LostRace:
    """Another transaction rotated the token between our read and our conditional update."""


LOST_RACE = LostRace()


class ReuseDetected:
    """The session was revoked for refresh-token reuse (committed with the transaction)."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id


Outcome = IssuedRefresh | SessionError | LostRace | ReuseDetected


class RefreshRotation:
    """One rotation attempt per call, each in its own transaction."""

    def __init__(
        self,
        store: Store,
        policy: SessionPolicy,
        *,
        audit: AuditLog,
        sealer: Sealer,
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._idle_ttl = policy.idle_ttl
        self._grace = policy.grace_period
        self._audit = audit
        self._sealer = sealer
        self._clock = clock

    async def attempt(self, presented: str, presented_in: RefreshDelivery | None) -> Outcome:
        """One attempt in one transaction. Errors are *returned* so their side effects commit."""
        async with self._store.transaction() as conn:
            token_row = await find_token(conn, presented)
            if token_row is None:
                return InvalidRefreshToken()
            # Lock order is always session row, then token rows (revocation does the same), so
            # a refresh racing a logout on PostgreSQL waits instead of deadlocking. FOR UPDATE
            # renders as nothing on SQLite, whose write transaction is already exclusive.
            session_row = (
                (
                    await conn.execute(
                        select(sessions)
                        .where(sessions.c.id == token_row["session_id"])
                        .with_for_update()
                    )
                )
                .mappings()
                .one()
            )
            # Re-read under the lock: a rotation that committed while we waited is visible now.
            token_row = await find_token(conn, presented)
            if token_row is None:
                return InvalidRefreshToken()
            now = self._clock()  # after the wait for the lock: grace and expiry judged as of now
            session = session_from_row(session_row)
            if session.revoked_at is not None or token_row["state"] == "revoked":
                return SessionRevoked()
            if now >= session.expires_at or now >= session.idle_expires_at:
                return SessionExpired()
            delivery = session_row["refresh_delivery"]
            # A cookie token replayed in a JSON body would skip the CSRF check and put the next
            # refresh token in a script-readable body (and the reverse mixes a native client's
            # token into a browser's cookie jar): same answer as an unknown token, no change.
            mismatched = (
                presented_in is not None and delivery is not None and presented_in != delivery
            )
            if token_row["state"] == "active":
                if mismatched:
                    return InvalidRefreshToken()
                return await self._rotate_active(conn, presented, session, now)
            if await self._redeemable(conn, token_row, now):
                if mismatched:
                    return InvalidRefreshToken()
                return await self._hand_out_head(conn, token_row, session, now)
            # Theft evidence: the legitimate client moved on long ago, so someone else holds a
            # copy of this token — whichever way it is presented (a cookie token replayed in a
            # body is no less a copy). End the whole family (RFC 9700 §4.14.2).
            await revoke_in(conn, [session.id], now, "refresh_reused")
            await self._audit.record_in(
                conn,
                "refresh_reused",
                user_id=session.user_id,
                session_id=session.id,
                detail={"seconds_since_rotation": round(now - (token_row["rotated_at"] or now), 3)},
            )
            _log.warning("refresh token reuse detected; session revoked")
            return ReuseDetected(session.id)

    async def _redeemable(self, conn: AsyncConnection, row: RowMapping, now: float) -> bool:
        """Whether a rotated token may still be exchanged for the head: its successor was
        never used, or was used less than the grace window ago (concurrent tabs)."""
        successor_hash = row["successor_hash"]
        if successor_hash is None:
            return False
        successor = await find_token(conn, successor_hash)
        if successor is None:
            return False
        if successor["state"] == "active":
            return True
        used_at = successor["rotated_at"]
        return (
            successor["state"] == "rotated" and used_at is not None and now - used_at < self._grace
        )

    async def _rotate_active(
        self, conn: AsyncConnection, presented: str, session: SessionInfo, now: float
    ) -> IssuedRefresh | LostRace:
        successor = new_refresh_token()
        successor_hash = hash_refresh_token(successor)
        nonce, sealed = self._sealer.seal(
            successor.encode("ascii"), associated_data=_successor_ad(session.id, successor_hash)
        )
        won = await conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.token_hash == presented, refresh_tokens.c.state == "active")
            .values(
                state="rotated",
                rotated_at=now,
                successor_hash=successor_hash,
                successor_nonce=nonce,
                successor_sealed=sealed,
            )
        )
        if won.rowcount != 1:
            return LOST_RACE
        await conn.execute(
            insert(refresh_tokens).values(
                token_hash=successor_hash, session_id=session.id, state="active", created_at=now
            )
        )
        idle_expires_at = min(now + self._idle_ttl, session.expires_at)
        await conn.execute(
            update(sessions)
            .where(sessions.c.id == session.id)
            .values(last_used_at=now, idle_expires_at=idle_expires_at)
        )
        # A rotated row whose successor was used more than the grace window ago is never
        # redeemed again: forget its sealed successor.
        used_long_ago = select(refresh_tokens.c.token_hash).where(
            refresh_tokens.c.session_id == session.id,
            refresh_tokens.c.state == "rotated",
            refresh_tokens.c.rotated_at <= now - self._grace,
        )
        await conn.execute(
            update(refresh_tokens)
            .where(
                refresh_tokens.c.session_id == session.id,
                refresh_tokens.c.state == "rotated",
                refresh_tokens.c.successor_sealed.is_not(None),
                refresh_tokens.c.successor_hash.in_(used_long_ago.scalar_subquery()),
            )
            .values(successor_nonce=None, successor_sealed=None)
        )
        await self._audit.record_in(conn, "refresh", user_id=session.user_id, session_id=session.id)
        return IssuedRefresh(
            session=replace(session, last_used_at=now, idle_expires_at=idle_expires_at),
            refresh_token=successor,
        )

    async def _hand_out_head(
        self, conn: AsyncConnection, row: RowMapping, session: SessionInfo, now: float
    ) -> IssuedRefresh | SessionError:
        """Follow the successors of a token rotated within the grace window to the head.

        Audited as ``refresh_grace``: a thief replaying a freshly rotated token looks exactly
        like a second tab, so the trail must show every hand-out.
        """
        current = row
        for _ in range(_MAX_CHAIN):
            nonce, sealed = current["successor_nonce"], current["successor_sealed"]
            successor_hash = current["successor_hash"]
            if nonce is None or sealed is None or successor_hash is None:
                return RefreshConflict()
            try:
                successor = self._sealer.open(
                    nonce, sealed, associated_data=_successor_ad(session.id, successor_hash)
                ).decode("ascii")
            except SealBroken:
                # Sealed by an instance with another secret key (or a restarted dev server).
                return RefreshConflict()
            following = await find_token(conn, successor_hash)
            if following is None or hash_refresh_token(successor) != successor_hash:
                return RefreshConflict()
            if following["state"] == "active":
                await self._audit.record_in(
                    conn,
                    "refresh_grace",
                    user_id=session.user_id,
                    session_id=session.id,
                    detail={"seconds_since_rotation": round(now - row["rotated_at"], 3)},
                )
                return IssuedRefresh(session=session, refresh_token=successor)
            if following["state"] != "rotated":
                return SessionRevoked()
            current = following
        return RefreshConflict()


def _successor_ad(session_id: str, successor_hash: str) -> bytes:
    # Binds a sealed successor to its session and its own digest: a ciphertext moved to
    # another row does not open.
    return f"{session_id}:{successor_hash}".encode("ascii")
