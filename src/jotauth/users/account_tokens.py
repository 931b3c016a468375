"""Single-use account links (password reset, address verification), hashed at rest.

A link's token is 256 random bits (``secrets.token_urlsafe(32)``); the store keeps only its
SHA-256, so reading the database opens no account (OWASP Forgot Password Cheat Sheet, "URL
tokens"). A token is redeemed by one conditional ``UPDATE`` (unused, unexpired, this
purpose): of two concurrent redemptions exactly one wins. Issuing a new link of a purpose
retires the user's earlier ones, so only the latest mail works.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from jotauth.errors import ErrorCode
from jotauth.store import Outbox, OutgoingMail, Store
from jotauth.store.schema import account_tokens
from jotauth.users.errors import UserError

TokenPurpose = Literal["password_reset", "verify_email"]
_MAX_TOKEN_CHARS = 128


class InvalidAccountLink(UserError):
    """A reset or verification token that is unknown, used, expired, superseded or for a
    disabled account: one answer for all (400), so a guesser learns nothing."""

    code = ErrorCode.ACCOUNT_LINK_INVALID
    default_detail = "This link is invalid or has expired. Ask for a new one."


@dataclass(frozen=True, slots=True)
class AccountToken:
    """A live token's record: whose it is and the address it was mailed to."""

    user_id: str
    email: str
    purpose: TokenPurpose
    expires_at: float


def token_hash(token: str) -> str:
    """The stored form of a token (hex SHA-256)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AccountTokens:
    """Issue and redeem the links mailed to users; the mail goes out with the token."""

    def __init__(self, store: Store, outbox: Outbox, *, clock: Callable[[], float] = time.time):
        self._store = store
        self._outbox = outbox
        self._clock = clock

    async def issue(
        self,
        *,
        user_id: str,
        email: str,
        purpose: TokenPurpose,
        ttl: float,
        mail: Callable[[str], OutgoingMail],
    ) -> None:
        """Create a token and queue ``mail(token)`` in one transaction (both or neither);
        earlier unused tokens of the purpose stop working."""
        token = secrets.token_urlsafe(32)
        outgoing = mail(token)  # rendered (and its headers checked) before anything is written
        now = self._clock()
        async with self._store.transaction() as conn:
            await self._retire_in(conn, user_id, purpose, now)
            await conn.execute(
                insert(account_tokens).values(
                    token_hash=token_hash(token),
                    purpose=purpose,
                    user_id=user_id,
                    email=email,
                    created_at=now,
                    expires_at=now + ttl,
                )
            )
            await self._outbox.enqueue_in(conn, outgoing)

    async def peek(self, token: str, purpose: TokenPurpose) -> AccountToken:
        """The live token's record without redeeming it; :class:`InvalidAccountLink` else."""
        if not _plausible(token):
            raise InvalidAccountLink()
        async with self._store.read() as conn:
            row = (
                (
                    await conn.execute(
                        select(account_tokens).where(
                            account_tokens.c.token_hash == token_hash(token),
                            account_tokens.c.purpose == purpose,
                            account_tokens.c.used_at.is_(None),
                            account_tokens.c.expires_at > self._clock(),
                        )
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            raise InvalidAccountLink()
        return AccountToken(
            user_id=row["user_id"],
            email=row["email"],
            purpose=purpose,
            expires_at=row["expires_at"],
        )

    async def redeem_in(
        self, conn: AsyncConnection, token: str, purpose: TokenPurpose
    ) -> AccountToken:
        """Use the token inside the caller's transaction (once: a second use, or one racing
        this, gets :class:`InvalidAccountLink`); the user's other tokens of the purpose go too."""
        if not _plausible(token):
            raise InvalidAccountLink()
        now = self._clock()
        row = (
            (
                await conn.execute(
                    update(account_tokens)
                    .where(
                        account_tokens.c.token_hash == token_hash(token),
                        account_tokens.c.purpose == purpose,
                        account_tokens.c.used_at.is_(None),
                        account_tokens.c.expires_at > now,
                    )
                    .values(used_at=now)
                    .returning(account_tokens.c.user_id, account_tokens.c.email)
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise InvalidAccountLink()
        await self._retire_in(conn, row["user_id"], purpose, now)
        return AccountToken(
            user_id=row["user_id"], email=row["email"], purpose=purpose, expires_at=now
        )

    async def _retire_in(
        self, conn: AsyncConnection, user_id: str, purpose: TokenPurpose, now: float
    ) -> None:
        await conn.execute(
            update(account_tokens)
            .where(
                account_tokens.c.user_id == user_id,
                account_tokens.c.purpose == purpose,
                account_tokens.c.used_at.is_(None),
            )
            .values(used_at=now)
        )


def _plausible(token: str) -> bool:
    # Refused before any hashing or SQL: a token is URL-safe base64 of bounded length.
    return (
        isinstance(token, str)
        and 16 <= len(token) <= _MAX_TOKEN_CHARS
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in token)
    )
