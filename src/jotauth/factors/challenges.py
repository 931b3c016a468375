"""The ``mfa_token`` of a login between its first factor and its second (DESIGN §13).

The token is 256 random bits handed to the client; only its SHA-256 is stored. It lives 5
minutes, is used once, and is bound to what the first step decided: the user, how the
refresh token travels and the access token is delivered, the first factor's amr, the purpose
(``login``, ``reauth`` of one session, or a hosted sign-in on its way to ``authorize``) and,
for a re-authentication, the session. A few wrong proofs are allowed on one token; the last
allowed one spends it, so a guesser has to go back to the password.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete, insert, select, update

from jotauth.factors.errors import MfaTokenInvalid
from jotauth.store import Store
from jotauth.store.schema import mfa_challenges

ChallengePurpose = Literal["login", "reauth", "authorize"]
AccessDelivery = Literal["cookie", "body"]

MFA_TOKEN_TTL = 300
MAX_TRIES = 5
_TOKEN_BYTES = 32


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class MfaChallenge:
    """One login attempt waiting for its second factor.

    ``attempt_id`` (the token's SHA-256) names the attempt to second-factor methods, which
    may bind their own challenge (a passkey's) to it; it never opens the attempt itself.
    """

    attempt_id: str
    user_id: str
    purpose: ChallengePurpose
    session_id: str | None
    refresh_delivery: str | None
    delivery: AccessDelivery
    first_amr: tuple[str, ...]
    enrollment: bool
    tries: int
    expires_at: float


class MfaChallenges:
    """Issues, opens, counts and uses up ``mfa_token`` values."""

    def __init__(
        self,
        store: Store,
        *,
        ttl: int = MFA_TOKEN_TTL,
        max_tries: int = MAX_TRIES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._ttl = ttl
        self._max_tries = max_tries
        self._clock = clock

    @property
    def ttl(self) -> int:
        """Seconds a token lives (the ``expires_in`` of an ``mfa_required`` answer)."""
        return self._ttl

    async def issue(
        self,
        user_id: str,
        *,
        purpose: ChallengePurpose,
        first_amr: Sequence[str],
        delivery: AccessDelivery = "cookie",
        refresh_delivery: str | None = None,
        session_id: str | None = None,
        enrollment: bool = False,
    ) -> tuple[str, MfaChallenge]:
        """A new token and the attempt it stands for."""
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        now = self._clock()
        challenge = MfaChallenge(
            attempt_id=_hash(token),
            user_id=user_id,
            purpose=purpose,
            session_id=session_id,
            refresh_delivery=refresh_delivery,
            delivery=delivery,
            first_amr=tuple(first_amr),
            enrollment=enrollment,
            tries=0,
            expires_at=now + self._ttl,
        )
        async with self._store.transaction() as conn:
            # Expired attempts of anyone go as new ones come: the table stays small.
            await conn.execute(delete(mfa_challenges).where(mfa_challenges.c.expires_at <= now))
            await conn.execute(
                insert(mfa_challenges).values(
                    token_hash=challenge.attempt_id,
                    user_id=user_id,
                    purpose=purpose,
                    session_id=session_id,
                    refresh_delivery=refresh_delivery,
                    delivery=delivery,
                    first_amr=list(challenge.first_amr),
                    enrollment=enrollment,
                    attempts=0,
                    created_at=now,
                    expires_at=challenge.expires_at,
                )
            )
        return token, challenge

    async def open(self, token: str) -> MfaChallenge:
        """The attempt behind ``token``; :class:`MfaTokenInvalid` when it is unknown, used,
        expired or spent by wrong tries (one answer for all)."""
        if not token or len(token) > 128:
            raise MfaTokenInvalid()
        async with self._store.read() as conn:
            row = (
                (
                    await conn.execute(
                        select(mfa_challenges).where(mfa_challenges.c.token_hash == _hash(token))
                    )
                )
                .mappings()
                .first()
            )
        if (
            row is None
            or row["used_at"] is not None
            or row["expires_at"] <= self._clock()
            or row["attempts"] >= self._max_tries
        ):
            raise MfaTokenInvalid()
        return MfaChallenge(
            attempt_id=row["token_hash"],
            user_id=row["user_id"],
            purpose=row["purpose"],
            session_id=row["session_id"],
            refresh_delivery=row["refresh_delivery"],
            delivery=row["delivery"],
            first_amr=tuple(row["first_amr"]),
            enrollment=bool(row["enrollment"]),
            tries=int(row["attempts"]),
            expires_at=float(row["expires_at"]),
        )

    async def count_wrong_try(self, challenge: MfaChallenge) -> int:
        """Count a wrong proof on the attempt; returns how many tries are left (0: spent)."""
        async with self._store.transaction() as conn:
            tries = (
                await conn.execute(
                    update(mfa_challenges)
                    .where(mfa_challenges.c.token_hash == challenge.attempt_id)
                    .values(attempts=mfa_challenges.c.attempts + 1)
                    .returning(mfa_challenges.c.attempts)
                )
            ).scalar()
        return max(0, self._max_tries - int(tries or self._max_tries))

    async def use_up(self, challenge: MfaChallenge) -> None:
        """Mark the attempt done; :class:`MfaTokenInvalid` when another request used it
        first, or it expired or was spent meanwhile (one conditional UPDATE decides)."""
        now = self._clock()
        async with self._store.transaction() as conn:
            done = await conn.execute(
                update(mfa_challenges)
                .where(
                    mfa_challenges.c.token_hash == challenge.attempt_id,
                    mfa_challenges.c.used_at.is_(None),
                    mfa_challenges.c.expires_at > now,
                    mfa_challenges.c.attempts < self._max_tries,
                )
                .values(used_at=now)
            )
        if done.rowcount != 1:
            raise MfaTokenInvalid()
