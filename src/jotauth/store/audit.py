"""The audit trail: who logged in, refreshed, was caught reusing a token, lost a session.

Events carry ids, an IP address and small details — never a password, token or hash.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from jotauth.store.database import Store
from jotauth.store.schema import audit_events

AuditEventName = Literal[
    "login",
    "login_failed",
    "refresh",
    "refresh_reused",
    "refresh_grace",
    "logout",
    "logout_all",
    "password_changed",
    "password_change_failed",
    "session_revoked",
    "user_created",
    "signup_failed",
    "user_disabled",
    "roles_changed",
    "key_rotated",
    "key_revoked",
]
AUDIT_EVENTS: frozenset[str] = frozenset(get_args(AuditEventName))

_log = logging.getLogger("jotauth.audit")


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One recorded event."""

    id: int
    event: str
    at: float
    user_id: str | None
    session_id: str | None
    ip: str | None
    detail: Mapping[str, Any] | None


class AuditLog:
    """Appends events to the ``audit_events`` table and mirrors them to the audit logger."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    async def record(
        self,
        event: AuditEventName,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
        ip: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one event in its own transaction."""
        async with self._store.transaction() as conn:
            await self.record_in(
                conn, event, user_id=user_id, session_id=session_id, ip=ip, detail=detail
            )

    async def record_in(
        self,
        conn: AsyncConnection,
        event: AuditEventName,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
        ip: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one event inside the caller's transaction (so it commits with the change)."""
        if event not in AUDIT_EVENTS:
            raise ValueError(f"unknown audit event {event!r}")
        await conn.execute(
            insert(audit_events).values(
                event=event,
                at=self._clock(),
                user_id=user_id,
                session_id=session_id,
                ip=ip[:64] if ip else None,
                detail=dict(detail) if detail else None,
            )
        )
        _log.info(
            "audit %s", event, extra={"event": event, "user_id": user_id, "session_id": session_id}
        )

    async def list_events(
        self,
        *,
        event: AuditEventName | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
        limit: int = 100,
    ) -> list[AuditEvent]:
        """The most recent events matching every given filter, newest first."""
        query = select(audit_events).order_by(audit_events.c.id.desc()).limit(limit)
        if event is not None:
            query = query.where(audit_events.c.event == event)
        if user_id is not None:
            query = query.where(audit_events.c.user_id == user_id)
        if session_id is not None:
            query = query.where(audit_events.c.session_id == session_id)
        async with self._store.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [
            AuditEvent(
                id=row["id"],
                event=row["event"],
                at=row["at"],
                user_id=row["user_id"],
                session_id=row["session_id"],
                ip=row["ip"],
                detail=row["detail"],
            )
            for row in rows
        ]
