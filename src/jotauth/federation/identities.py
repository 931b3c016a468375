"""Linked provider identities in the store, keyed by (issuer, subject) and never by email.

The unique key on ``(issuer, subject)`` makes "one provider identity, two accounts"
impossible whatever races; unlinking checks, in the same transaction that deletes, that the
account keeps a way to sign in (a password, another identity or a passkey).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    delete,
    exc,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from jotauth.federation.errors import IdentityAlreadyLinked, IdentityNotFound, LastSignInMethod
from jotauth.federation.upstream import Assertion
from jotauth.sessions.rotation import OwnerRow
from jotauth.store import AuditLog, Store, prepared
from jotauth.store.schema import federated_identities
from jotauth.store.sign_in_ways import locked_password_hash, passwordless_ways_in
from jotauth.users import NO_PASSWORD


@dataclass(frozen=True, slots=True)
class LinkedIdentity:
    """A provider identity linked to an account."""

    id: str
    provider: str
    issuer: str
    subject: str
    user_id: str
    email: str | None
    created_at: float
    last_used_at: float


T = TypeVar("T")


class IdentitiesBeside(Generic[T]):
    """``reader``'s user with their linked identities, itself an ``OwnerRow``, so ``/me`` reads
    its session, the account and the identities in one statement.

    On PostgreSQL the identities are one more column of the row, a JSON array of their rows
    oldest first: a statement of their own was a round trip, 110-200 µs of this process's CPU
    and 10-25% of ``/me``'s (issue 15). On SQLite there is no such column and
    :meth:`from_row` answers None for them (read them with
    :meth:`LinkedIdentities.of_user_in`): a statement there costs no round trip, and SQLite's
    JSON rounds a timestamp to 15 digits where PostgreSQL's keeps it exact.
    """

    def __init__(self, reader: OwnerRow[T], *, in_row: bool) -> None:
        self._reader = reader
        self._in_row = in_row

    def row_of(self, user_id: ColumnElement[str]) -> Select[Any]:
        row = self._reader.row_of(user_id)
        return row.add_columns(_identities_json(user_id)) if self._in_row else row

    def from_row(self, row: RowMapping) -> tuple[T, tuple[LinkedIdentity, ...] | None]:
        inner = self._reader.from_row(row)
        if not self._in_row:
            return inner, None
        items: Sequence[Sequence[Any]] = row[IDENTITIES_COLUMN] or ()  # NULL: none linked
        return inner, tuple(_from_json(item) for item in items)


class LinkedIdentities:
    """Reads and writes ``federated_identities``."""

    def __init__(self, store: Store, *, audit: AuditLog, clock: Callable[[], float]) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock

    async def find(self, issuer: str, subject: str) -> LinkedIdentity | None:
        """The identity with this issuer and subject, or None."""
        async with self._store.read() as conn:
            row = (
                (
                    await conn.execute(
                        select(federated_identities).where(
                            federated_identities.c.issuer == issuer,
                            federated_identities.c.subject == subject,
                        )
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else _from_row(row)

    async def of_user(self, user_id: str) -> tuple[LinkedIdentity, ...]:
        """The user's identities, oldest first."""
        return await self._store.read_unit(lambda conn: self.of_user_in(conn, user_id))

    def beside(self, reader: OwnerRow[T]) -> IdentitiesBeside[T]:
        """``reader``'s row with the user's identities in it, where the backend gains by it."""
        return IdentitiesBeside(reader, in_row=self._store.dialect == "postgresql")

    def of_user_in(self, conn: Connection, user_id: str) -> tuple[LinkedIdentity, ...]:
        """:meth:`of_user` inside a unit of work (``/me`` reads all it shows in one)."""
        rows = conn.execute(_OF_USER, {"user_id": user_id}).mappings()
        return tuple(_from_row(row) for row in rows)

    async def link(self, user_id: str, assertion: Assertion, *, how: str) -> LinkedIdentity:
        """Link ``assertion``'s identity to ``user_id``; :class:`IdentityAlreadyLinked` when
        it is anyone's already (the unique key decides, also between racing requests)."""
        try:
            async with self._store.transaction() as conn:
                return await self.link_in(conn, user_id, assertion, how=how)
        except exc.IntegrityError as error:
            raise IdentityAlreadyLinked() from error

    async def link_in(
        self, conn: AsyncConnection, user_id: str, assertion: Assertion, *, how: str
    ) -> LinkedIdentity:
        """:meth:`link` inside the caller's transaction (the account it creates)."""
        now = self._clock()
        identity = LinkedIdentity(
            id=secrets.token_hex(16),
            provider=assertion.provider,
            issuer=assertion.issuer,
            subject=assertion.subject,
            user_id=user_id,
            email=assertion.email,
            created_at=now,
            last_used_at=now,
        )
        await conn.execute(
            insert(federated_identities).values(
                id=identity.id,
                issuer=identity.issuer,
                subject=identity.subject,
                user_id=user_id,
                provider=identity.provider,
                email=identity.email,
                created_at=now,
                last_used_at=now,
            )
        )
        await self._audit.record_in(
            conn,
            "identity_linked",
            user_id=user_id,
            detail={"provider": identity.provider, "issuer": identity.issuer, "how": how},
        )
        return identity

    async def touch(self, identity_id: str) -> None:
        """Record a sign-in through the identity."""
        async with self._store.transaction() as conn:
            await conn.execute(
                update(federated_identities)
                .where(federated_identities.c.id == identity_id)
                .values(last_used_at=self._clock())
            )

    async def unlink(self, user_id: str, identity_id: str) -> LinkedIdentity:
        """Remove one of the user's identities, unless it is their last way to sign in.

        The user's row is locked first (PostgreSQL ``FOR UPDATE``; SQLite's transaction holds
        the write lock), so two unlinks racing for the last two identities cannot both pass.
        Raises :class:`IdentityNotFound` (also for another user's id) and
        :class:`LastSignInMethod`.
        """
        async with self._store.transaction() as conn:
            password_hash = await locked_password_hash(conn, user_id)
            row = (
                (
                    await conn.execute(
                        select(federated_identities).where(
                            federated_identities.c.id == identity_id,
                            federated_identities.c.user_id == user_id,
                        )
                    )
                )
                .mappings()
                .first()
            )
            if password_hash is None or row is None:
                raise IdentityNotFound()
            if password_hash == NO_PASSWORD and await passwordless_ways_in(conn, user_id) <= 1:
                raise LastSignInMethod()
            await conn.execute(
                delete(federated_identities).where(federated_identities.c.id == identity_id)
            )
            identity = _from_row(row)
            await self._audit.record_in(
                conn,
                "identity_unlinked",
                user_id=user_id,
                detail={"provider": identity.provider, "issuer": identity.issuer},
            )
        return identity


# Built once: the statement of /me (compiled and cached on first use).
_OF_USER = prepared(
    select(federated_identities)
    .where(federated_identities.c.user_id == bindparam("user_id"))
    .order_by(federated_identities.c.created_at, federated_identities.c.id)
)


# The column of IdentitiesBeside (PostgreSQL): each identity as a JSON array of its row's
# values in the table's column order, oldest first as _OF_USER; NULL when there is none. A
# double in PostgreSQL's JSON is its shortest exact form (extra_float_digits >= 1, the default).
IDENTITIES_COLUMN = "linked_identities"
_IDENTITY_KEYS = tuple(federated_identities.c.keys())


def _identities_json(user_id: ColumnElement[str]) -> ColumnElement[Any]:
    table = federated_identities
    ordered = aggregate_order_by(func.json_build_array(*table.c), table.c.created_at, table.c.id)
    return (
        select(func.json_agg(ordered))
        .where(table.c.user_id == user_id)
        .scalar_subquery()
        .label(IDENTITIES_COLUMN)
    )


def _from_json(item: Sequence[Any]) -> LinkedIdentity:
    values = dict(zip(_IDENTITY_KEYS, item, strict=True))
    # A whole number of seconds is a JSON integer: the same float as the column's.
    for name in ("created_at", "last_used_at"):
        values[name] = float(values[name])
    return _from_row(values)


def _from_row(row: RowMapping | Mapping[str, Any]) -> LinkedIdentity:
    return LinkedIdentity(
        id=row["id"],
        provider=row["provider"],
        issuer=row["issuer"],
        subject=row["subject"],
        user_id=row["user_id"],
        email=row["email"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
    )
