"""Consent memory: what a user approved for a third-party client (OIDC Core §3.1.2.4).

A request within the scopes a user already approved for a client is answered without the
consent page; asking for more (or ``prompt=consent``) shows it again, and the approved
scopes grow. Removing the client removes its consents (:meth:`ClientRegistry.remove`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from jotauth.store import Store
from jotauth.store.schema import oauth_consents


class Consents:
    """Remembers and looks up granted consents per (user, client)."""

    def __init__(self, store: Store, *, clock: Callable[[], float]) -> None:
        self._store = store
        self._clock = clock

    async def covers(self, *, user_id: str, client_id: str, scope: Iterable[str]) -> bool:
        """Whether the user already approved every scope in ``scope`` for the client."""
        return set(scope) <= await self._granted(user_id, client_id)

    async def remember(self, *, user_id: str, client_id: str, scope: Iterable[str]) -> None:
        """Record an approval; the remembered scopes are the union of every approval."""
        granted = " ".join(sorted(await self._granted(user_id, client_id) | set(scope)))
        dialect = sqlite if self._store.dialect == "sqlite" else postgresql
        statement = dialect.insert(oauth_consents).values(
            user_id=user_id, client_id=client_id, scope=granted, granted_at=self._clock()
        )
        async with self._store.transaction() as conn:
            # Two tabs approving at once: the later write wins, never an integrity error.
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["user_id", "client_id"],
                    set_={
                        "scope": statement.excluded.scope,
                        "granted_at": statement.excluded.granted_at,
                    },
                )
            )

    async def _granted(self, user_id: str, client_id: str) -> set[str]:
        async with self._store.read() as conn:
            scope = (
                await conn.execute(
                    select(oauth_consents.c.scope).where(
                        oauth_consents.c.user_id == user_id,
                        oauth_consents.c.client_id == client_id,
                    )
                )
            ).scalar()
        return set(scope.split()) if scope else set()
