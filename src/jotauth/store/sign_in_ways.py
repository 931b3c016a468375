"""How many ways an account has to sign in besides its password, read under the user's lock.

Unlinking a provider identity (federation) and removing a passkey share one rule: an account
without a password must keep at least one way in. Both lock the user row first
(PostgreSQL ``FOR UPDATE``; SQLite's write transaction already excludes other writers), so
two removals racing for the last two ways cannot both pass.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from jotauth.store.schema import federated_identities, users, webauthn_credentials


async def locked_password_hash(conn: AsyncConnection, user_id: str) -> str | None:
    """The user's password hash, the row locked until the transaction ends (None: no user)."""
    value: str | None = (
        await conn.execute(
            select(users.c.password_hash).where(users.c.id == user_id).with_for_update()
        )
    ).scalar_one_or_none()
    return value


async def passwordless_ways_in(conn: AsyncConnection, user_id: str) -> int:
    """The user's linked provider identities plus their passkeys."""
    identities = select(func.count()).where(federated_identities.c.user_id == user_id)
    passkeys = select(func.count()).where(webauthn_credentials.c.user_id == user_id)
    counts = (
        await conn.execute(select(identities.scalar_subquery(), passkeys.scalar_subquery()))
    ).one()
    return int(counts[0]) + int(counts[1])
