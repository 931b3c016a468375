"""Recovery codes: ten single-use codes that stand in for a lost authenticator.

Each code carries 80 random bits, written as four groups of four base32 letters
(``k7mq-2vxd-…``); only its SHA-256 is stored (at 80 bits a fast hash loses nothing against
guessing, and a copy of the database yields no usable code). Regenerating replaces the whole
set; the plain codes exist only in the answer that shows them once.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Callable

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from jotauth.store import AuditLog, Store
from jotauth.store.schema import recovery_codes

CODE_COUNT = 10
_CODE_BYTES = 10  # 80 bits: 16 base32 letters
_GROUP = 4


def normalise_recovery_code(code: str) -> str:
    """The code as stored before hashing: lower case, without spaces or dashes, so a code
    copied with its grouping or typed in capitals still matches."""
    return "".join(char for char in code.lower() if char not in " -\t")


def _hash(code: str) -> str:
    return hashlib.sha256(normalise_recovery_code(code).encode("utf-8")).hexdigest()


def _new_code() -> str:
    letters = base64.b32encode(os.urandom(_CODE_BYTES)).decode("ascii").lower()
    return "-".join(letters[i : i + _GROUP] for i in range(0, len(letters), _GROUP))


class RecoveryCodes:
    """The recovery codes of each user."""

    def __init__(
        self, store: Store, *, audit: AuditLog, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock

    async def replace(
        self, user_id: str, *, session_id: str | None = None, ip: str | None = None
    ) -> tuple[str, ...]:
        """A new set of :data:`CODE_COUNT` codes for ``user_id``; every earlier code stops
        working. Audited (``recovery_codes_generated``)."""
        codes = tuple(_new_code() for _ in range(CODE_COUNT))
        now = self._clock()
        async with self._store.transaction() as conn:
            await conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
            await conn.execute(
                insert(recovery_codes),
                [
                    {"code_hash": _hash(code), "user_id": user_id, "created_at": now}
                    for code in codes
                ],
            )
            await self._audit.record_in(
                conn,
                "recovery_codes_generated",
                user_id=user_id,
                session_id=session_id,
                ip=ip,
                detail={"count": CODE_COUNT},
            )
        return codes

    async def use(self, user_id: str, code: str, *, ip: str | None = None) -> bool:
        """Spend one of the user's unused codes; False when ``code`` is none of them.

        One conditional UPDATE: two requests with the same code cannot both succeed.
        Audited (``recovery_code_used``, with how many are left)."""
        if not 8 <= len(code) <= 64:
            return False
        now = self._clock()
        async with self._store.transaction() as conn:
            spent = await conn.execute(
                update(recovery_codes)
                .where(
                    recovery_codes.c.code_hash == _hash(code),
                    recovery_codes.c.user_id == user_id,
                    recovery_codes.c.used_at.is_(None),
                )
                .values(used_at=now)
            )
            if spent.rowcount != 1:
                return False
            left = await self._remaining_in(conn, user_id)
            await self._audit.record_in(
                conn, "recovery_code_used", user_id=user_id, ip=ip, detail={"remaining": left}
            )
        return True

    async def remaining(self, user_id: str) -> int:
        """How many unused codes the user has."""
        async with self._store.read() as conn:
            return await self._remaining_in(conn, user_id)

    async def remove(self, user_id: str) -> int:
        """Delete every code of the user; how many were unused."""
        async with self._store.transaction() as conn:
            unused = await self._remaining_in(conn, user_id)
            await conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
        return unused

    @staticmethod
    async def _remaining_in(conn: AsyncConnection, user_id: str) -> int:
        count = (
            await conn.execute(
                select(func.count())
                .select_from(recovery_codes)
                .where(recovery_codes.c.user_id == user_id, recovery_codes.c.used_at.is_(None))
            )
        ).scalar()
        return int(count or 0)
