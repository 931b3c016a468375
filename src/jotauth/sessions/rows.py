"""The SQL both the session service and the rotation use: token and session rows, revocation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from jotauth.sessions.models import SessionInfo
from jotauth.sessions.statements import TOKEN_BY_HASH
from jotauth.store.schema import refresh_tokens, sessions


def token_row(conn: Connection, token_hash: str) -> RowMapping | None:
    """The refresh-token row of this SHA-256, in any state, or None."""
    return conn.execute(TOKEN_BY_HASH, {"hash": token_hash}).mappings().first()


async def revoke_in(
    conn: AsyncConnection,
    session_ids: list[str],
    now: float,
    reason: str,
    *,
    user_id: str | None = None,
) -> list[str]:
    """Mark sessions revoked and their tokens dead; returns the ids actually ended."""
    return await conn.run_sync(revoke_now, session_ids, now, reason, user_id=user_id)


def revoke_now(
    conn: Connection,
    session_ids: list[str],
    now: float,
    reason: str,
    *,
    user_id: str | None = None,
) -> list[str]:
    """:func:`revoke_in` inside a unit of work."""
    statement = (
        update(sessions)
        .where(sessions.c.id.in_(session_ids), sessions.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason[:64])
        .returning(sessions.c.id)
    )
    if user_id is not None:
        statement = statement.where(sessions.c.user_id == user_id)
    ended = list(conn.execute(statement).scalars().all())
    if ended:
        conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.session_id.in_(ended), refresh_tokens.c.state != "revoked")
            .values(state="revoked", successor_nonce=None, successor_sealed=None)
        )
    return ended


def session_params(info: SessionInfo) -> dict[str, Any]:
    """``info`` as ``statements.INSERT_SESSION`` binds it (the inverse of :func:`session_from_row`:
    ``SessionInfo`` has a field for each column, of the same name)."""
    return {f"b_{column.name}": getattr(info, column.name) for column in sessions.c}


def session_from_row(row: RowMapping | Any) -> SessionInfo:
    """A ``sessions`` row as the rest of the system sees it."""
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
        refresh_delivery=row["refresh_delivery"],
        amr=tuple(row["amr"] or ()),
        auth_time=row["auth_time"],
    )
