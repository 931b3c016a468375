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
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import ColumnElement, Connection, Select
from sqlalchemy.engine import RowMapping

from jotauth.sessions import statements as sql
from jotauth.sessions.errors import (
    InvalidRefreshToken,
    RefreshConflict,
    SessionError,
    SessionExpired,
    SessionRevoked,
)
from jotauth.sessions.models import IssuedRefresh, RefreshDelivery, SessionInfo, SessionPolicy
from jotauth.sessions.rows import revoke_now, session_from_row
from jotauth.sessions.rows import token_row as find_token
from jotauth.sessions.tokens import hash_refresh_token, new_refresh_token
from jotauth.store import AuditLog, SealBroken, Sealer, Store

_log = logging.getLogger("jotauth.sessions")

# Successors followed at most; a grace window sees a handful of rotations, never this many.
_MAX_CHAIN = 64

T_co = TypeVar("T_co", covariant=True)


class OwnerRow(Protocol[T_co]):
    """A session's owner as a row of another layer's SQL, selected beside the session (the
    users layer hands out its statement: this layer knows no users table)."""

    def row_of(self, user_id: ColumnElement[str]) -> Select[Any]:
        """The owner's row (none if there is no such user) whose id is ``user_id``: on
        PostgreSQL the rotation's one statement selects it, and ``/me``'s session read."""
        ...

    def from_row(self, row: RowMapping) -> T_co:
        """The owner from a row of :meth:`row_of` (it may carry other columns too)."""
        ...


class OwnerReader(OwnerRow[T_co], Protocol[T_co]):
    """Reads the session's owner inside the rotation's transaction (the users layer passes
    one in, ``UserService.user_in``)."""

    def __call__(self, conn: Connection, user_id: str) -> T_co:
        """The owner, read by a statement of its own (SQLite, where that costs no round trip)."""
        ...


class LostRace:
    """Another transaction rotated the token between our read and our conditional update."""


LOST_RACE = LostRace()


class ReuseDetected:
    """The session was revoked for refresh-token reuse (committed with the transaction)."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id


Outcome = IssuedRefresh | SessionError | LostRace | ReuseDetected


class RefreshRotation:
    """One rotation attempt per call, each one unit of work (one transaction)."""

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
        # The PostgreSQL rotation statement reading the last owner reader seen (in practice
        # there is one), built once: building it per refresh would cost what it saves.
        self._with_owner: tuple[OwnerReader[Any], Select[Any]] | None = None

    async def attempt(
        self,
        presented: str,
        presented_in: RefreshDelivery | None,
        owner: OwnerReader[Any] | None = None,
    ) -> tuple[Outcome, Any]:
        """One attempt in one transaction. Errors are *returned* so their side effects commit.

        With ``owner``, the session's owner is read in the same transaction after a
        successful rotation, and returned beside the outcome (``None`` otherwise).
        """
        if self._store.dialect == "postgresql":
            # Most refreshes present the head token of a live session: the rotation statement
            # alone, which finds and locks the session and checks it, in autocommit (one round
            # trip instead of 5). Anything else (an unknown, rotated or revoked token, an ended
            # session, a lost race) wrote nothing and is decided under the lock below.
            quick = await self._store.autocommit_unit(
                lambda conn: self._rotate_in_one_statement(conn, presented, presented_in, owner)
            )
            if quick[0] is not LOST_RACE:
                return quick
        # Short: a few indexed rows, run on the loop's thread when nobody else is writing.
        return await self._store.write_unit(
            lambda conn: self._attempt(conn, presented, presented_in, owner), short=True
        )

    def _attempt(
        self,
        conn: Connection,
        presented: str,
        presented_in: RefreshDelivery | None,
        owner: OwnerReader[Any] | None,
    ) -> tuple[Outcome, Any]:
        # Lock order is always session row, then token rows (revocation does the same), so
        # a refresh racing a logout on PostgreSQL waits instead of deadlocking.
        session_row = (
            conn.execute(sql.LOCK_SESSION_OF_TOKEN, {"hash": presented}).mappings().first()
        )
        if session_row is None:
            return InvalidRefreshToken(), None
        # Read under the lock: a rotation that committed while we waited is visible now.
        token_row = find_token(conn, presented)
        if token_row is None:
            return InvalidRefreshToken(), None
        now = self._clock()  # after the wait for the lock: grace and expiry judged as of now
        session = session_from_row(session_row)
        if session.revoked_at is not None or token_row["state"] == "revoked":
            return SessionRevoked(), None
        if now >= session.expires_at or now >= session.idle_expires_at:
            return SessionExpired(), None
        mismatched = _mismatched(presented_in, session.refresh_delivery)
        if token_row["state"] == "active":
            if mismatched:
                return InvalidRefreshToken(), None
            if conn.dialect.name == "postgresql":
                return self._rotate_in_one_statement(conn, presented, presented_in, owner)
            outcome: Outcome = self._rotate_active(conn, presented, session, now)
        elif self._redeemable(conn, token_row, now):
            if mismatched:
                return InvalidRefreshToken(), None
            outcome = self._hand_out_head(conn, token_row, session, now)
        else:
            # Theft evidence: the legitimate client moved on long ago, so someone else holds a
            # copy of this token — whichever way it is presented (a cookie token replayed in a
            # body is no less a copy). End the whole family (RFC 9700 §4.14.2).
            revoke_now(conn, [session.id], now, "refresh_reused")
            self._audit.write_in(
                conn,
                "refresh_reused",
                user_id=session.user_id,
                session_id=session.id,
                detail={"seconds_since_rotation": round(now - (token_row["rotated_at"] or now), 3)},
            )
            _log.warning("refresh token reuse detected; session revoked")
            return ReuseDetected(session.id), None
        if isinstance(outcome, IssuedRefresh) and owner is not None:
            return outcome, owner(conn, session.user_id)
        return outcome, None

    def _redeemable(self, conn: Connection, row: RowMapping, now: float) -> bool:
        """Whether a rotated token may still be exchanged for the head: its successor was
        never used, or was used less than the grace window ago (concurrent tabs)."""
        successor_hash = row["successor_hash"]
        if successor_hash is None:
            return False
        successor = find_token(conn, successor_hash)
        if successor is None:
            return False
        if successor["state"] == "active":
            return True
        used_at = successor["rotated_at"]
        return (
            successor["state"] == "rotated" and used_at is not None and now - used_at < self._grace
        )

    def _rotate_active(
        self, conn: Connection, presented: str, session: SessionInfo, now: float
    ) -> IssuedRefresh | LostRace:
        successor, successor_hash, nonce, sealed = self._new_successor(presented)
        won = conn.execute(
            sql.ROTATE,
            {
                "hash": presented,
                "now": now,
                "b_successor": successor_hash,
                "nonce": nonce,
                "sealed": sealed,
            },
        )
        if won.rowcount != 1:
            return LOST_RACE
        idle_expires_at = min(now + self._idle_ttl, session.expires_at)
        tail = {
            "b_token": successor_hash,
            "b_sid": session.id,
            "now": now,
            "b_idle": idle_expires_at,
            "cutoff": now - self._grace,
        }
        conn.execute(sql.INSERT_TOKEN, tail)
        conn.execute(sql.TOUCH, tail)
        conn.execute(sql.FORGET_SUCCESSORS, tail)
        self._audit.write_in(conn, "refresh", user_id=session.user_id, session_id=session.id)
        return IssuedRefresh(
            session=replace(session, last_used_at=now, idle_expires_at=idle_expires_at),
            refresh_token=successor,
        )

    def _rotate_in_one_statement(
        self,
        conn: Connection,
        presented: str,
        presented_in: RefreshDelivery | None,
        owner: OwnerReader[Any] | None,
    ) -> tuple[IssuedRefresh | LostRace, Any]:
        """:meth:`_rotate_active` and the owner read on PostgreSQL, from the presented token
        alone: one statement (``statements.rotation_pg``), one round trip. LOST_RACE, with
        nothing written, when it did not rotate: the token is not active, its session not
        live, it is presented the other way, or another presentation won."""
        now = self._clock()
        successor, successor_hash, nonce, sealed = self._new_successor(presented)
        params = {
            "hash": presented,
            "now": now,
            "b_successor": successor_hash,
            "nonce": nonce,
            "sealed": sealed,
            "b_token": successor_hash,
            "b_idle": now + self._idle_ttl,
            "cutoff": now - self._grace,
            sql.PRESENTED_IN.key: presented_in,
            # The audit row's user and session ids are the locked session's, in the statement.
            **self._audit.folded_params("refresh"),
        }
        row = conn.execute(self._statement_reading(owner), params).mappings().first()
        if row is None:  # ROTATE matched no row
            return LOST_RACE, None
        session = session_from_row(row)  # as locked, before the statement's own TOUCH
        self._audit.mirror("refresh", user_id=session.user_id, session_id=session.id)
        issued = IssuedRefresh(
            session=replace(
                session,
                last_used_at=now,
                idle_expires_at=min(now + self._idle_ttl, session.expires_at),
            ),
            refresh_token=successor,
        )
        if owner is None:
            return issued, None
        owned = sql.owner_of(row)
        return issued, None if owned is None else owner.from_row(cast(RowMapping, owned))

    def _statement_reading(self, owner: OwnerReader[Any] | None) -> Select[Any]:
        if owner is None:
            return sql.ROTATION_PG
        if self._with_owner is None or self._with_owner[0] is not owner:
            self._with_owner = (owner, sql.rotation_pg(owner.row_of))
        return self._with_owner[1]

    def _new_successor(self, predecessor_hash: str) -> tuple[str, str, bytes, bytes]:
        """A new refresh token, its digest, and the token sealed for its predecessor's row."""
        successor = new_refresh_token()
        successor_hash = hash_refresh_token(successor)
        nonce, sealed = self._sealer.seal(
            successor.encode("ascii"),
            associated_data=_successor_ad(predecessor_hash, successor_hash),
        )
        return successor, successor_hash, nonce, sealed

    def _open_successor(self, row: RowMapping, session_id: str) -> str | None:
        """The successor sealed in a rotated token's row; None when it does not open (sealed
        by an instance with another secret key, or moved from another row)."""
        nonce, sealed = row["successor_nonce"], row["successor_sealed"]
        ads = (
            _successor_ad(row["token_hash"], row["successor_hash"]),
            # Sealed before the one-statement rotation, whose AD named the session. Such a row
            # stays redeemable as long as it would have (its successor unused, or used less
            # than the grace window ago), at most a session's absolute lifetime after the
            # upgrade; after that, no row sealed this way can be redeemed and this can go.
            _legacy_successor_ad(session_id, row["successor_hash"]),
        )
        for associated_data in ads:
            try:
                return self._sealer.open(nonce, sealed, associated_data=associated_data).decode(
                    "ascii"
                )
            except SealBroken:
                continue
        return None

    def _hand_out_head(
        self, conn: Connection, row: RowMapping, session: SessionInfo, now: float
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
            successor = self._open_successor(current, session.id)
            if successor is None:
                # Sealed by an instance with another secret key (or a restarted dev server).
                return RefreshConflict()
            following = find_token(conn, successor_hash)
            if following is None or hash_refresh_token(successor) != successor_hash:
                return RefreshConflict()
            if following["state"] == "active":
                self._audit.write_in(
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


def _mismatched(presented_in: RefreshDelivery | None, issued_in: RefreshDelivery | None) -> bool:
    # A cookie token replayed in a JSON body would skip the CSRF check and put the next
    # refresh token in a script-readable body (and the reverse mixes a native client's token
    # into a browser's cookie jar): same answer as an unknown token, no change. None on
    # either side: not checked (older sessions, callers that do not say).
    return presented_in is not None and issued_in is not None and presented_in != issued_in


def _successor_ad(predecessor_hash: str, successor_hash: str) -> bytes:
    # Binds a sealed successor to its row (the predecessor's digest, its primary key) and its
    # own digest: a ciphertext moved to another row does not open. Not the session id, which
    # the one-statement rotation only learns in the statement.
    return f"token:{predecessor_hash}:{successor_hash}".encode("ascii")


def _legacy_successor_ad(session_id: str, successor_hash: str) -> bytes:
    return f"{session_id}:{successor_hash}".encode("ascii")
