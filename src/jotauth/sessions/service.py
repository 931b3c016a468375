"""Sessions and rotating refresh tokens (DESIGN §6).

Each login is a session; each refresh rotates its refresh token. Rotation is a conditional
``UPDATE … WHERE state = 'active'`` whose row count decides the single winner, so one token never
forks into two successors (on SQLite the transaction also holds the write lock from its start).

The rotation rule (redeemable predecessors, the grace window, reuse) is
:mod:`jotauth.sessions.rotation`; this module is the service the use cases call.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Select, select, update
from sqlalchemy.engine import RowMapping

from jotauth.sessions import statements as sql
from jotauth.sessions.errors import (
    InvalidRefreshToken,
    RefreshConflict,
    RefreshReused,
    SessionError,
    SessionRevoked,
)
from jotauth.sessions.models import IssuedRefresh, RefreshDelivery, SessionInfo, SessionPolicy
from jotauth.sessions.rotation import OwnerReader, OwnerRow, RefreshRotation, ReuseDetected
from jotauth.sessions.rows import revoke_in, session_from_row, session_params
from jotauth.sessions.tokens import hash_refresh_token, is_well_formed, new_refresh_token
from jotauth.store import AuditLog, Sealer, Store
from jotauth.store.batches import delete_in_batches
from jotauth.store.schema import refresh_tokens, sessions

_log = logging.getLogger("jotauth.sessions")

_SUCCESSOR_PURPOSE = b"jotauth refresh-token successor v1"
# A presentation that loses the rotation race re-reads once and takes the grace path.
_MAX_ATTEMPTS = 3
# Expired sessions deleted per purge transaction: the SQLite write lock is held for a few
# milliseconds at a time, so writers queue behind a purge for no longer than that. 10 in one
# prepared DELETE held it 2.7-3.0 ms at p99 where 20 through SQLAlchemy held it 7.0-8.5 ms
# (bench/probes/purge.py, 50,000 of 200,000 sessions expired, issue 15).
PURGE_BATCH = 10

T = TypeVar("T")

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
        self._audit = audit
        self._rotation = RefreshRotation(
            store,
            policy,
            audit=audit,
            sealer=Sealer(secret, purpose=_SUCCESSOR_PURPOSE),
            clock=clock,
        )
        # session_and_owner_in's statement for the last reader it was given, built once.
        self._with_owner: tuple[OwnerRow[object], Select[Any]] | None = None

    async def create_session(
        self,
        user_id: str,
        *,
        user_agent: str = "",
        ip: str = "",
        refresh_delivery: RefreshDelivery | None = None,
        amr: Sequence[str] = ("pwd",),
        audit_detail: Mapping[str, object] | None = None,
        auth_time: float | None = None,
    ) -> IssuedRefresh:
        """Start a session for a user who just logged in; audits ``login``.

        ``refresh_delivery`` records where the refresh token goes (``"cookie"`` for browsers,
        ``"body"`` for native clients); a refresh presenting it the other way is refused.
        ``amr`` records how the user signed in (RFC 8176); it and ``audit_detail`` (say the
        identity provider of a federated sign-in) go into the ``login`` audit event.
        ``auth_time`` is for a session that inherits an earlier sign-in (an OAuth grant from
        the browser's); by default the user authenticated now.
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
            refresh_delivery=refresh_delivery,
            amr=tuple(amr),
            auth_time=auth_time,
        )
        token = new_refresh_token()
        session_row = session_params(info)
        token_row = {"b_token": hash_refresh_token(token), "b_sid": info.id, "now": now}
        detail = {"amr": list(info.amr), **(audit_detail or {})}

        def start(conn: Connection) -> None:
            conn.execute(sql.INSERT_SESSION, session_row)
            conn.execute(sql.INSERT_TOKEN, token_row)
            self._audit.write_in(
                conn,
                "login",
                user_id=user_id,
                session_id=info.id,
                ip=info.ip or None,
                detail=detail,
            )

        # A unit of three inserts: on SQLite no thread hop when nobody else is writing, as
        # for a refresh's rotation (through the async connection, each statement was several).
        await self._store.write_unit(start, short=True)
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
        issued, _ = await self.rotate_and_read_owner(token, presented_in=presented_in)
        return issued

    async def rotate_and_read_owner(
        self,
        token: str,
        *,
        presented_in: RefreshDelivery | None = None,
        owner: OwnerReader[T] | None = None,
    ) -> tuple[IssuedRefresh, T | None]:
        """:meth:`rotate_refresh_token`, also reading the session's owner with ``owner`` in
        the rotation's transaction (one unit of work for a whole refresh; on PostgreSQL in
        the rotation's one statement)."""
        if not is_well_formed(token):
            raise InvalidRefreshToken()
        presented = hash_refresh_token(token)
        for _ in range(_MAX_ATTEMPTS):
            outcome, owned = await self._rotation.attempt(presented, presented_in, owner)
            if isinstance(outcome, IssuedRefresh):
                return outcome, owned
            if isinstance(outcome, ReuseDetected):
                await self._announce([outcome.session_id])
                raise RefreshReused()
            if isinstance(outcome, SessionError):
                raise outcome
        raise RefreshConflict()

    async def reauthenticate(
        self, session_id: str, *, user_id: str, amr: Sequence[str], ip: str | None = None
    ) -> SessionInfo:
        """Record that the user just proved who they are again in an active session (step-up,
        RFC 9470): ``auth_time`` becomes now and ``amr`` what was proved. Audits
        ``reauthenticated``. Raises :class:`SessionRevoked` when the session is not the
        user's or no longer active (nothing changes then)."""
        now = self._clock()
        async with self._store.transaction() as conn:
            row = (
                (
                    await conn.execute(
                        update(sessions)
                        .where(
                            sessions.c.id == session_id,
                            sessions.c.user_id == user_id,
                            sessions.c.revoked_at.is_(None),
                            sessions.c.expires_at > now,
                            sessions.c.idle_expires_at > now,
                        )
                        .values(auth_time=now, amr=list(amr))
                        .returning(*sessions.c)
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise SessionRevoked()
            await self._audit.record_in(
                conn,
                "reauthenticated",
                user_id=user_id,
                session_id=session_id,
                ip=ip,
                detail={"amr": list(amr)},
            )
        return session_from_row(row)

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
            ended = await revoke_in(conn, [session_id], now, reason, user_id=user_id)
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
            ended = await revoke_in(conn, ids, now, reason, user_id=user_id) if ids else []
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
            return [session_from_row(row) for row in rows]

    async def get_session(self, session_id: str) -> SessionInfo | None:
        """A session in any state (active, expired or revoked), or ``None``."""
        return await self._store.read_unit(lambda conn: self.session_in(conn, session_id))

    def session_in(self, conn: Connection, session_id: str) -> SessionInfo | None:
        """:meth:`get_session` inside a unit of work (``Store.read_unit``)."""
        row = conn.execute(sql.SESSION_BY_ID, {"b_sid": session_id}).mappings().first()
        return None if row is None else session_from_row(row)

    def session_and_owner_in(
        self, conn: Connection, session_id: str, owner: OwnerRow[T], owner_id: str
    ) -> tuple[SessionInfo | None, T | None]:
        """:meth:`session_in` and ``owner``'s read of the user ``owner_id``, in one
        statement (``statements.session_with_owner``); (None, None) when there is no such
        session, the owner None when there is no such user."""
        if self._with_owner is None or self._with_owner[0] is not owner:
            self._with_owner = (owner, sql.session_with_owner(owner.row_of(sql.OWNER_ID)))
        params = {"b_sid": session_id, sql.OWNER_ID.key: owner_id}
        row = conn.execute(self._with_owner[1], params).mappings().first()
        if row is None:
            return None, None
        owned = sql.owner_of(row)
        owned_by = None if owned is None else owner.from_row(cast(RowMapping, owned))
        return session_from_row(row), owned_by

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
        return None if row is None else session_from_row(row)

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
        """Delete sessions past their absolute expiry with their token history; returns count.

        In batches of :data:`PURGE_BATCH` sessions, each a short write unit of one prepared
        statement (:data:`~jotauth.sessions.statements.DELETE_EXPIRED_SESSIONS`), with a pause
        after each: writers never wait long behind a purge.
        """
        return await delete_in_batches(
            self._store, sql.DELETE_EXPIRED_SESSIONS, {"now": self._clock()}, PURGE_BATCH
        )

    # --- rotation ---------------------------------------------------------------------------


def _printable(value: str, limit: int) -> str:
    return "".join(char for char in value[: limit * 2] if char.isprintable())[:limit]
