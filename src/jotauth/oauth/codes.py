"""Authorization codes: single use, short-lived, bound to client, redirect URI and PKCE."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update

from jotauth.store import Store
from jotauth.store.schema import oauth_codes

CODE_TTL = 60  # seconds (DESIGN §11; RFC 6749 §4.1.2 recommends at most 10 minutes)


@dataclass(frozen=True, slots=True)
class CodeGrant:
    """What an authorization code stands for."""

    client_id: str
    user_id: str
    browser_session_id: str
    redirect_uri: str
    code_challenge: str
    scope: tuple[str, ...]
    nonce: str | None
    auth_time: float


@dataclass(frozen=True, slots=True)
class Redemption:
    """The outcome of presenting a code: the grant on first use; on a replay, the session
    its first exchange issued (to be revoked)."""

    grant: CodeGrant | None
    replayed_session_id: str | None = None
    expired: bool = False


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii", errors="replace")).hexdigest()


class AuthorizationCodes:
    """Issues codes and redeems each at most once (a conditional UPDATE picks the winner)."""

    def __init__(self, store: Store, *, clock: Callable[[], float]) -> None:
        self._store = store
        self._clock = clock

    async def issue(self, grant: CodeGrant) -> str:
        """A new code for ``grant``; only its digest is stored."""
        code = secrets.token_urlsafe(32)
        now = self._clock()
        async with self._store.transaction() as conn:
            # Expired codes are useless: drop them as new ones are made.
            await conn.execute(delete(oauth_codes).where(oauth_codes.c.expires_at < now - 3600))
            await conn.execute(
                insert(oauth_codes).values(
                    code_hash=_digest(code),
                    client_id=grant.client_id,
                    user_id=grant.user_id,
                    browser_session_id=grant.browser_session_id,
                    redirect_uri=grant.redirect_uri,
                    code_challenge=grant.code_challenge,
                    scope=" ".join(grant.scope),
                    nonce=grant.nonce,
                    auth_time=grant.auth_time,
                    created_at=now,
                    expires_at=now + CODE_TTL,
                )
            )
        return code

    async def redeem(self, code: str) -> Redemption:
        """Mark the code used. The first use gets the grant, any later one the session the
        first issued; an unknown code gets neither."""
        if not code or len(code) > 256:
            return Redemption(grant=None)
        digest = _digest(code)
        now = self._clock()
        async with self._store.transaction() as conn:
            row = (
                (await conn.execute(select(oauth_codes).where(oauth_codes.c.code_hash == digest)))
                .mappings()
                .first()
            )
            if row is None:
                return Redemption(grant=None)
            won = await conn.execute(
                update(oauth_codes)
                .where(oauth_codes.c.code_hash == digest, oauth_codes.c.used_at.is_(None))
                .values(used_at=now)
            )
        if won.rowcount != 1:
            return Redemption(grant=None, replayed_session_id=row["issued_session_id"])
        if now >= row["expires_at"]:
            return Redemption(grant=None, expired=True)
        return Redemption(
            grant=CodeGrant(
                client_id=row["client_id"],
                user_id=row["user_id"],
                browser_session_id=row["browser_session_id"],
                redirect_uri=row["redirect_uri"],
                code_challenge=row["code_challenge"],
                scope=tuple(row["scope"].split()),
                nonce=row["nonce"],
                auth_time=row["auth_time"],
            )
        )

    async def record_issued(self, code: str, session_id: str) -> None:
        """Remember which session the exchange of ``code`` started (revoked on a replay)."""
        async with self._store.transaction() as conn:
            await conn.execute(
                update(oauth_codes)
                .where(oauth_codes.c.code_hash == _digest(code))
                .values(issued_session_id=session_id)
            )
