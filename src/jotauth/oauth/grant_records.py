"""Which client owns an OAuth session (the refresh-token family of a code exchange)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select

from jotauth.store import Store
from jotauth.store.schema import oauth_grants


@dataclass(frozen=True, slots=True)
class GrantRecord:
    """An OAuth session's client, scope and the sign-in it came from."""

    session_id: str
    client_id: str
    scope: tuple[str, ...]
    auth_time: float
    browser_session_id: str


class GrantRecords:
    """Stores and reads :class:`GrantRecord` rows."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(self, record: GrantRecord) -> None:
        """Record a new OAuth session."""
        async with self._store.transaction() as conn:
            await conn.execute(
                insert(oauth_grants).values(
                    session_id=record.session_id,
                    client_id=record.client_id,
                    scope=" ".join(record.scope),
                    auth_time=record.auth_time,
                    browser_session_id=record.browser_session_id,
                )
            )

    async def get(self, session_id: str) -> GrantRecord | None:
        """The record of a session, or None (a first-party session has none)."""
        async with self._store.read() as conn:
            row = (
                (
                    await conn.execute(
                        select(oauth_grants).where(oauth_grants.c.session_id == session_id)
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return GrantRecord(
            session_id=row["session_id"],
            client_id=row["client_id"],
            scope=tuple(row["scope"].split()),
            auth_time=row["auth_time"],
            browser_session_id=row["browser_session_id"],
        )
