"""Registered passkeys in the store (``webauthn_credentials``).

A credential id is unique across accounts (one authenticator credential, one account). Its
sign count only moves forward: the update that records an assertion is conditional on the
stored count, so two racing assertions with the same count cannot both pass. Removing a
passkey keeps the account reachable: the user row is locked and the removal refused when it
is the last way to sign in (no password, no provider identity, no other passkey).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import delete, exc, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from jotauth.accounts import LastSignInMethod
from jotauth.passkeys.errors import PasskeyExists, PasskeyLimit, PasskeyNotFound
from jotauth.store import AuditLog, Store
from jotauth.store.schema import webauthn_challenges, webauthn_credentials
from jotauth.store.sign_in_ways import locked_password_hash, passwordless_ways_in
from jotauth.users import NO_PASSWORD

MAX_PASSKEYS_PER_USER = 20
NAME_MAX = 64


@dataclass(frozen=True, slots=True)
class Passkey:
    """One registered WebAuthn credential of an account."""

    id: str
    credential_id: str  # base64url, as in the credential's JSON ``id``
    user_id: str
    public_key: bytes  # COSE_Key
    sign_count: int
    transports: tuple[str, ...]
    backup_eligible: bool  # BE: may be synced to other devices (a "multi-device" passkey)
    backup_state: bool  # BS: is backed up / synced now
    aaguid: str
    name: str
    created_at: float
    last_used_at: float | None

    @property
    def amr(self) -> str:
        """RFC 8176: ``swk`` for a key that may leave the device (synced), ``hwk`` otherwise."""
        return "swk" if self.backup_eligible else "hwk"


class PasskeyStore:
    """Reads and writes ``webauthn_credentials``."""

    def __init__(self, store: Store, *, audit: AuditLog, clock: Callable[[], float]) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock

    async def of_user(self, user_id: str) -> tuple[Passkey, ...]:
        """The user's passkeys, oldest first."""
        async with self._store.read() as conn:
            rows = (
                await conn.execute(
                    select(webauthn_credentials)
                    .where(webauthn_credentials.c.user_id == user_id)
                    .order_by(webauthn_credentials.c.created_at, webauthn_credentials.c.id)
                )
            ).mappings()
            return tuple(_from_row(row) for row in rows)

    async def by_credential_id(self, credential_id: str) -> Passkey | None:
        """The passkey with this WebAuthn credential id, or None."""
        async with self._store.read() as conn:
            row = (
                (
                    await conn.execute(
                        select(webauthn_credentials).where(
                            webauthn_credentials.c.credential_id == credential_id
                        )
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else _from_row(row)

    async def add(
        self, passkey: Passkey, *, first: Callable[[AsyncConnection], Awaitable[None]]
    ) -> None:
        """Insert ``passkey`` in one transaction with ``first`` (which uses up the
        registration challenge, or raises to refuse). Raises :class:`PasskeyLimit` and
        :class:`PasskeyExists` (also when a racing registration of the same credential won:
        the unique key decides)."""
        try:
            async with self._store.transaction() as conn:
                await first(conn)
                await self._add_in(conn, passkey)
        except exc.IntegrityError as error:
            raise PasskeyExists() from error

    async def _add_in(self, conn: AsyncConnection, passkey: Passkey) -> None:
        table = webauthn_credentials.c
        taken = (
            await conn.execute(select(table.id).where(table.credential_id == passkey.credential_id))
        ).first()
        if taken is not None:
            raise PasskeyExists()
        count = (
            await conn.execute(
                select(func.count())
                .select_from(webauthn_credentials)
                .where(table.user_id == passkey.user_id)
            )
        ).scalar_one()
        if count >= MAX_PASSKEYS_PER_USER:
            raise PasskeyLimit()
        await conn.execute(
            insert(webauthn_credentials).values(
                id=passkey.id,
                credential_id=passkey.credential_id,
                user_id=passkey.user_id,
                public_key=passkey.public_key,
                sign_count=passkey.sign_count,
                transports=list(passkey.transports),
                backup_eligible=passkey.backup_eligible,
                backup_state=passkey.backup_state,
                aaguid=passkey.aaguid,
                name=passkey.name,
                created_at=passkey.created_at,
                last_used_at=None,
            )
        )
        await self._audit.record_in(
            conn,
            "passkey_added",
            user_id=passkey.user_id,
            detail={
                "passkey": passkey.id,
                "aaguid": passkey.aaguid,
                "synced": passkey.backup_eligible,
            },
        )

    async def record_use_in(
        self, conn: AsyncConnection, passkey: Passkey, *, sign_count: int, backup_state: bool
    ) -> bool:
        """Store an accepted assertion's counter and backup state; False when the stored
        count moved meanwhile (a racing assertion of the same count won)."""
        table = webauthn_credentials.c
        result = await conn.execute(
            update(webauthn_credentials)
            .where(
                table.id == passkey.id,
                or_(table.sign_count < sign_count, table.sign_count == 0)
                if sign_count > 0
                else table.sign_count == 0,
            )
            .values(sign_count=sign_count, backup_state=backup_state, last_used_at=self._clock())
        )
        return result.rowcount == 1

    async def rename(self, user_id: str, passkey_id: str, name: str) -> Passkey:
        """Give one of the user's passkeys a new name (:class:`PasskeyNotFound` otherwise)."""
        async with self._store.transaction() as conn:
            result = await conn.execute(
                update(webauthn_credentials)
                .where(
                    webauthn_credentials.c.id == passkey_id,
                    webauthn_credentials.c.user_id == user_id,
                )
                .values(name=name)
            )
            if result.rowcount != 1:
                raise PasskeyNotFound()
            row = (
                (
                    await conn.execute(
                        select(webauthn_credentials).where(webauthn_credentials.c.id == passkey_id)
                    )
                )
                .mappings()
                .one()
            )
        return _from_row(row)

    async def remove(self, user_id: str, passkey_id: str) -> Passkey:
        """Remove one of the user's passkeys, unless it is their last way to sign in.

        The user's row is locked first (:mod:`jotauth.store.sign_in_ways`), so two removals
        racing for the last two ways cannot both pass. Raises :class:`PasskeyNotFound` (also
        for another user's id) and :class:`LastSignInMethod`.
        """
        async with self._store.transaction() as conn:
            password_hash = await locked_password_hash(conn, user_id)
            row = (
                (
                    await conn.execute(
                        select(webauthn_credentials).where(
                            webauthn_credentials.c.id == passkey_id,
                            webauthn_credentials.c.user_id == user_id,
                        )
                    )
                )
                .mappings()
                .first()
            )
            if password_hash is None or row is None:
                raise PasskeyNotFound()
            if password_hash == NO_PASSWORD and await passwordless_ways_in(conn, user_id) <= 1:
                raise LastSignInMethod()
            await conn.execute(
                delete(webauthn_credentials).where(webauthn_credentials.c.id == passkey_id)
            )
            passkey = _from_row(row)
            await self._audit.record_in(
                conn, "passkey_removed", user_id=user_id, detail={"passkey": passkey.id}
            )
        return passkey

    async def remove_all(self, user_id: str) -> int:
        """Remove every passkey of the user (an operator's ``users reset-mfa``, audited there)
        and their open challenges; how many passkeys went."""
        async with self._store.transaction() as conn:
            result = await conn.execute(
                delete(webauthn_credentials).where(webauthn_credentials.c.user_id == user_id)
            )
            await conn.execute(
                delete(webauthn_challenges).where(webauthn_challenges.c.user_id == user_id)
            )
        return result.rowcount or 0


def new_passkey_id() -> str:
    """A fresh id for the API (``/api/auth/passkeys/{id}``), not the credential id."""
    return secrets.token_hex(16)


def _from_row(row: RowMapping) -> Passkey:
    return Passkey(
        id=row["id"],
        credential_id=row["credential_id"],
        user_id=row["user_id"],
        public_key=bytes(row["public_key"]),
        sign_count=int(row["sign_count"]),
        transports=tuple(row["transports"] or ()),
        backup_eligible=bool(row["backup_eligible"]),
        backup_state=bool(row["backup_state"]),
        aaguid=row["aaguid"],
        name=row["name"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
    )
