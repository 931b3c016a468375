"""Sessions and rotating refresh tokens (DESIGN §6).

Each login is a session; each refresh rotates its refresh token. Rotation is a conditional
``UPDATE … WHERE state = 'active'`` whose row count decides the single winner, so one token never
forks into two successors (on SQLite the transaction also holds the write lock from its start).

A rotated token stays redeemable until its successor has been used (SuperTokens' parent/child
rule): a client whose refresh response was lost — network drop, closed tab, a server killed
after the commit — retries with the token it still holds and gets the session's current token,
however late, instead of being logged out by a false theft alarm. A rotated token whose
successor *has* been used is theft evidence (RFC 9700 §4.14.2): the whole session is revoked
and ``refresh_reused`` audited — except within ``refresh_grace_period`` of that use, so several
tabs refreshing with the same cookie at once all stay logged in. Every redeemable presentation
gets the session's *head* token, never a fork and never a stale token (audited
``refresh_grace``). To make that possible a rotated row keeps its successor sealed (AES-GCM, key
derived from the server secret) for as long as it is redeemable, and forgets it after.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from jotauth.sessions.errors import (
    InvalidRefreshToken,
    RefreshConflict,
    RefreshReused,
    SessionError,
    SessionExpired,
    SessionRevoked,
)
from jotauth.sessions.models import IssuedRefresh, RefreshDelivery, SessionInfo, SessionPolicy
from jotauth.sessions.tokens import hash_refresh_token, is_well_formed, new_refresh_token
from jotauth.store import AuditLog, SealBroken, Sealer, Store
from jotauth.store.schema import refresh_tokens, sessions

_log = logging.getLogger("jotauth.sessions")

_SUCCESSOR_PURPOSE = b"jotauth refresh-token successor v1"
# Successors followed at most; a grace window sees a handful of rotations, never this many.
_MAX_CHAIN = 64
# A presentation that loses the rotation race re-reads once and takes the grace path.
_MAX_ATTEMPTS = 3


class _LostRace:
    """Another transaction rotated the token between our read and our conditional update."""


_LOST_RACE = _LostRace()


class _ReuseDetected:
    """The session was revoked for refresh-token reuse (committed with the transaction)."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id


# Told the ids of sessions that just ended (after commit); must not raise.
RevocationListener = Callable[[Sequence[str]], Awaitable[None]]


class SessionService:
    """Creates sessions, rotates their refresh tokens, ends them."""

    def __init__(
        self,
        store: Store,
        policy: SessionPolicy,
        *,
        audit: AuditLog,
        secret: bytes,
        clock: Callable[[], float] = time.time,
        on_revoked: RevocationListener | None = None,
    ) -> None:
        """``secret`` seals the successor kept for a grace-window hand-out; instances that
        share a store must share it, or concurrent refreshes only join on one process.
        ``on_revoked`` hears the ids of sessions ended, after the ending committed (the
        revocation fan-out to resource servers, DESIGN §9)."""
        self._on_revoked = on_revoked
        self._store = store
        self._clock = clock
        self._idle_ttl = policy.idle_ttl
        self._absolute_ttl = policy.absolute_ttl
        self._grace = policy.grace_period
        self._audit = audit
        self._sealer = Sealer(secret, purpose=_SUCCESSOR_PURPOSE)

    async def create_session(
        self,
        user_id: str,
        *,
        user_agent: str = "",
        ip: str = "",
        refresh_delivery: RefreshDelivery | None = None,
    ) -> IssuedRefresh:
        """Start a session for a user who just logged in; audits ``login``.

        ``refresh_delivery`` records where the refresh token goes (``"cookie"`` for browsers,
        ``"body"`` for native clients); a refresh presenting it the other way is refused.
        """
        now = self._clock()
        expires_at = now + self._absolute_ttl
        info = SessionInfo(
            id=secrets.token_hex(16),
            user_id=user_id,
            created_at=now,
            last_used_at=now,
            idle_expires_at=min(now + self._idle_ttl, expires_at),
            expires_at=expires_at,
            user_agent=_printable(user_agent, 512),
            ip=_printable(ip, 64),
        )
        token = new_refresh_token()
        async with self._store.transaction() as conn:
            await conn.execute(
                insert(sessions).values(
                    id=info.id,
                    user_id=info.user_id,
                    created_at=info.created_at,
                    last_used_at=info.last_used_at,
                    idle_expires_at=info.idle_expires_at,
                    expires_at=info.expires_at,
                    user_agent=info.user_agent,
                    ip=info.ip,
                    refresh_delivery=refresh_delivery,
                )
            )
            await conn.execute(
                insert(refresh_tokens).values(
                    token_hash=hash_refresh_token(token),
                    session_id=info.id,
                    state="active",
                    created_at=now,
                )
            )
            await self._audit.record_in(
                conn, "login", user_id=user_id, session_id=info.id, ip=info.ip or None
            )
        return IssuedRefresh(session=info, refresh_token=token)

    async def rotate_refresh_token(
        self, token: str, *, presented_in: RefreshDelivery | None = None
    ) -> IssuedRefresh:
        """Exchange a refresh token for the session's next one.

        ``presented_in`` says whether the token came in a cookie or a JSON body; a session
        created with the other ``refresh_delivery`` refuses it (``None``: not checked).
        Raises :class:`InvalidRefreshToken` (unknown or presented the wrong way),
        :class:`SessionExpired`, :class:`SessionRevoked`, :class:`RefreshReused` (rotated
        token after the grace window; the session is revoked as a side effect),
        :class:`RefreshConflict` (retry), and
        :class:`jotauth.store.StoreUnavailable` when the database is down.
        """
        if not is_well_formed(token):
            raise InvalidRefreshToken()
        presented = hash_refresh_token(token)
        for _ in range(_MAX_ATTEMPTS):
            outcome = await self._try_rotate(presented, presented_in)
            if isinstance(outcome, IssuedRefresh):
                return outcome
            if isinstance(outcome, _ReuseDetected):
                await self._announce([outcome.session_id])
                raise RefreshReused()
            if isinstance(outcome, SessionError):
                raise outcome
        raise RefreshConflict()

    async def revoke_session(
        self,
        session_id: str,
        *,
        reason: str,
        user_id: str | None = None,
        ip: str | None = None,
    ) -> bool:
        """End one session (``reason`` e.g. ``"logout"``, ``"user"``, ``"admin"``).

        With ``user_id``, only a session of that user is touched (a user revoking "their own"
        session by id cannot end someone else's). Returns whether an active session was ended.
        Audits ``logout`` for reason ``"logout"``, else ``session_revoked``.
        """
        now = self._clock()
        async with self._store.transaction() as conn:
            ended = await self._revoke_in(conn, [session_id], now, reason, user_id=user_id)
            if ended:
                await self._audit.record_in(
                    conn,
                    "logout" if reason == "logout" else "session_revoked",
                    user_id=user_id,
                    session_id=session_id,
                    ip=ip,
                    detail={"reason": reason},
                )
        await self._announce(ended)
        return bool(ended)

    async def revoke_user_sessions(
        self,
        user_id: str,
        *,
        except_session_id: str | None = None,
        reason: str,
        ip: str | None = None,
    ) -> int:
        """End every active session of a user, optionally but one; returns how many ended.

        Audits ``logout_all`` for reason ``"logout_all"``, else ``session_revoked``.
        """
        now = self._clock()
        async with self._store.transaction() as conn:
            query = select(sessions.c.id).where(
                sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None)
            )
            if except_session_id is not None:
                query = query.where(sessions.c.id != except_session_id)
            ids = list((await conn.execute(query)).scalars())
            ended = await self._revoke_in(conn, ids, now, reason, user_id=user_id) if ids else []
            if ended or reason == "logout_all":
                await self._audit.record_in(
                    conn,
                    "logout_all" if reason == "logout_all" else "session_revoked",
                    user_id=user_id,
                    session_id=except_session_id,
                    ip=ip,
                    detail={"reason": reason, "sessions": len(ended)},
                )
        await self._announce(ended)
        return len(ended)

    async def list_sessions(self, user_id: str) -> list[SessionInfo]:
        """The user's active sessions, most recently used first."""
        now = self._clock()
        async with self._store.read() as conn:
            rows = (
                await conn.execute(
                    select(sessions)
                    .where(
                        sessions.c.user_id == user_id,
                        sessions.c.revoked_at.is_(None),
                        sessions.c.expires_at > now,
                        sessions.c.idle_expires_at > now,
                    )
                    .order_by(sessions.c.last_used_at.desc(), sessions.c.id)
                )
            ).mappings()
            return [_session_from_row(row) for row in rows]

    async def get_session(self, session_id: str) -> SessionInfo | None:
        """A session in any state (active, expired or revoked), or ``None``."""
        async with self._store.read() as conn:
            row = (
                (await conn.execute(select(sessions).where(sessions.c.id == session_id)))
                .mappings()
                .first()
            )
        return None if row is None else _session_from_row(row)

    async def session_of_refresh_token(self, token: str) -> SessionInfo | None:
        """The session a refresh token (current or already rotated) belongs to, or ``None``.

        A read: nothing rotates, so a caller can check what it must (a CSRF binding, an
        owner) before it changes any state.
        """
        if not is_well_formed(token):
            return None
        async with self._store.read() as conn:
            row = (
                (
                    await conn.execute(
                        select(sessions)
                        .join(refresh_tokens, refresh_tokens.c.session_id == sessions.c.id)
                        .where(refresh_tokens.c.token_hash == hash_refresh_token(token))
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else _session_from_row(row)

    async def revoked_since(self, since: float) -> list[tuple[str, float]]:
        """``(session id, revoked at)`` of every session ended after ``since``, oldest first:
        what the revocation feed tells resource servers."""
        async with self._store.read() as conn:
            rows = await conn.execute(
                select(sessions.c.id, sessions.c.revoked_at)
                .where(sessions.c.revoked_at > since)
                .order_by(sessions.c.revoked_at, sessions.c.id)
            )
            return [(row.id, float(row.revoked_at)) for row in rows]

    async def _announce(self, ended: Sequence[str]) -> None:
        if ended and self._on_revoked is not None:
            await self._on_revoked(list(ended))

    async def purge_expired(self) -> int:
        """Delete sessions past their absolute expiry with their token history; returns count."""
        now = self._clock()
        async with self._store.transaction() as conn:
            ids = list(
                (
                    await conn.execute(
                        # Session rows first, then their tokens: the lock order of rotation.
                        select(sessions.c.id).where(sessions.c.expires_at <= now).with_for_update()
                    )
                )
                .scalars()
                .all()
            )
            if ids:
                await conn.execute(
                    refresh_tokens.delete().where(refresh_tokens.c.session_id.in_(ids))
                )
                await conn.execute(sessions.delete().where(sessions.c.id.in_(ids)))
        return len(ids)

    # --- rotation ---------------------------------------------------------------------------

    async def _try_rotate(
        self, presented: str, presented_in: RefreshDelivery | None
    ) -> IssuedRefresh | SessionError | _LostRace | _ReuseDetected:
        """One attempt in one transaction. Errors are *returned* so their side effects commit."""
        async with self._store.transaction() as conn:
            token_row = await _token_row(conn, presented)
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
            token_row = await _token_row(conn, presented)
            if token_row is None:
                return InvalidRefreshToken()
            now = self._clock()  # after the wait for the lock: grace and expiry judged as of now
            session = _session_from_row(session_row)
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
            await self._revoke_in(conn, [session.id], now, "refresh_reused")
            await self._audit.record_in(
                conn,
                "refresh_reused",
                user_id=session.user_id,
                session_id=session.id,
                detail={"seconds_since_rotation": round(now - (token_row["rotated_at"] or now), 3)},
            )
            _log.warning("refresh token reuse detected; session revoked")
            return _ReuseDetected(session.id)

    async def _redeemable(self, conn: AsyncConnection, row: RowMapping, now: float) -> bool:
        """Whether a rotated token may still be exchanged for the head: its successor was
        never used, or was used less than the grace window ago (concurrent tabs)."""
        successor_hash = row["successor_hash"]
        if successor_hash is None:
            return False
        successor = await _token_row(conn, successor_hash)
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
    ) -> IssuedRefresh | _LostRace:
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
            return _LOST_RACE
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
            following = await _token_row(conn, successor_hash)
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

    async def _revoke_in(
        self,
        conn: AsyncConnection,
        session_ids: list[str],
        now: float,
        reason: str,
        *,
        user_id: str | None = None,
    ) -> list[str]:
        """Mark sessions revoked and their tokens dead; returns the ids actually ended."""
        statement = (
            update(sessions)
            .where(sessions.c.id.in_(session_ids), sessions.c.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason[:64])
            .returning(sessions.c.id)
        )
        if user_id is not None:
            statement = statement.where(sessions.c.user_id == user_id)
        ended = list((await conn.execute(statement)).scalars().all())
        if ended:
            await conn.execute(
                update(refresh_tokens)
                .where(refresh_tokens.c.session_id.in_(ended), refresh_tokens.c.state != "revoked")
                .values(state="revoked", successor_nonce=None, successor_sealed=None)
            )
        return ended


async def _token_row(conn: AsyncConnection, token_hash: str) -> RowMapping | None:
    result = await conn.execute(
        select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
    )
    return result.mappings().first()


def _successor_ad(session_id: str, successor_hash: str) -> bytes:
    # Binds a sealed successor to its session and its own digest: a ciphertext moved to
    # another row does not open.
    return f"{session_id}:{successor_hash}".encode("ascii")


def _printable(value: str, limit: int) -> str:
    return "".join(char for char in value[: limit * 2] if char.isprintable())[:limit]


def _session_from_row(row: RowMapping | Any) -> SessionInfo:
    return SessionInfo(
        id=row["id"],
        user_id=row["user_id"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        idle_expires_at=row["idle_expires_at"],
        expires_at=row["expires_at"],
        user_agent=row["user_agent"],
        ip=row["ip"],
        revoked_at=row["revoked_at"],
        revoked_reason=row["revoked_reason"],
    )
