"""WebAuthn challenges in the store: random, short-lived, used once, bound to their purpose.

Only the SHA-256 of a challenge is kept (it is a bearer secret for the few minutes it lives).
A challenge is found by the one in the credential's client data, and only with the purpose,
user and binding it was issued for: a registration challenge cannot finish a sign-in, one
user's cannot finish another's, one login attempt's cannot finish another. Using it is one
conditional DELETE inside the transaction that records the result, so of two requests racing
with the same challenge exactly one wins, and a refused ceremony leaves it as it was.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, and_, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from jotauth.store import Store
from jotauth.store.schema import webauthn_challenges

Purpose = Literal["register", "login", "second_factor"]
CHALLENGE_BYTES = 32  # WebAuthn L2 §13.4.3: at least 16 random bytes


@dataclass(frozen=True, slots=True)
class ChallengeBinding:
    """What a challenge was issued for: its purpose, user (None for a passwordless sign-in)
    and what asked for it (the session of a registration, the attempt of a second factor)."""

    purpose: Purpose
    user_id: str | None = None
    bound_to: str | None = None


class WebAuthnChallenges:
    """Issues and uses the challenges of ``webauthn_challenges``."""

    def __init__(self, store: Store, *, ttl: int, clock: Callable[[], float]) -> None:
        self._store = store
        self._ttl = ttl
        self._clock = clock

    async def issue(self, binding: ChallengeBinding) -> bytes:
        """A new challenge for ``binding``; expired ones are cleared on the way (indexed on
        ``expires_at``), so unused challenges never pile up."""
        challenge = secrets.token_bytes(CHALLENGE_BYTES)
        now = self._clock()
        async with self._store.transaction() as conn:
            await conn.execute(
                delete(webauthn_challenges).where(webauthn_challenges.c.expires_at <= now)
            )
            await conn.execute(
                insert(webauthn_challenges).values(
                    challenge_hash=_digest(challenge),
                    purpose=binding.purpose,
                    user_id=binding.user_id,
                    bound_to=binding.bound_to,
                    created_at=now,
                    expires_at=now + self._ttl,
                )
            )
        return challenge

    async def is_open(self, challenge: bytes, binding: ChallengeBinding) -> bool:
        """Whether ``challenge`` was issued for ``binding`` and is still usable (a read)."""
        async with self._store.read() as conn:
            row = (
                await conn.execute(
                    select(webauthn_challenges.c.challenge_hash).where(
                        self._matching(challenge, binding)
                    )
                )
            ).first()
        return row is not None

    async def use_in(
        self, conn: AsyncConnection, challenge: bytes, binding: ChallengeBinding
    ) -> bool:
        """Use ``challenge`` up inside the caller's transaction; False when it was not open
        (used meanwhile by a racing request, expired, or issued for something else)."""
        result = await conn.execute(
            delete(webauthn_challenges).where(self._matching(challenge, binding))
        )
        return result.rowcount == 1

    def _matching(self, challenge: bytes, binding: ChallengeBinding) -> ColumnElement[bool]:
        table = webauthn_challenges.c
        return and_(
            table.challenge_hash == _digest(challenge),
            table.purpose == binding.purpose,
            table.user_id.is_(None)
            if binding.user_id is None
            else table.user_id == binding.user_id,
            table.bound_to.is_(None)
            if binding.bound_to is None
            else table.bound_to == binding.bound_to,
            table.expires_at > self._clock(),
        )


def _digest(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()
