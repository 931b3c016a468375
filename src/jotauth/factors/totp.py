"""TOTP factors (RFC 6238): SHA-1, 6 digits, 30-second steps, one step of drift either way.

The shared secret is 160 random bits (RFC 4226 §4 recommends 160), sealed at rest with the
server secret (:mod:`jotauth.store.sealing`, bound to the user id) so a copy of the database
yields no codes. Codes come from ``cryptography``'s TOTP; the step a code matched is stored
and a code of that step or an earlier one is refused afterwards: a code is accepted once
(RFC 6238 §5.2), and the conditional UPDATE that records it decides between two requests
racing with the same code.
"""

from __future__ import annotations

import base64
import hmac
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from sqlalchemy import delete, or_, select, update

from jotauth.factors.errors import SecondFactorExists, SecondFactorNotFound
from jotauth.store import Sealer, Store
from jotauth.store.schema import totp_factors

TIME_STEP = 30
DIGITS = 6
# RFC 6238 §5.2: one step back and one forward absorb clock drift and typing time.
DRIFT_STEPS = 1
SECRET_BYTES = 20
_PURPOSE = b"jotauth totp secret v1"


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    """What an authenticator app needs: the base32 secret and the ``otpauth://`` URI."""

    secret: str
    otpauth_uri: str


class TotpFactors:
    """The TOTP factor of each user: enrolment, confirmation, checking codes, removal."""

    def __init__(
        self,
        store: Store,
        *,
        secret: bytes,
        issuer: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``secret`` is the server secret (sealing); ``issuer`` names the service in the
        authenticator app (the ``otpauth://`` issuer)."""
        self._store = store
        self._sealer = Sealer(secret, purpose=_PURPOSE)
        self._issuer = issuer
        self._clock = clock

    async def start_enrolment(
        self, user_id: str, *, account_name: str, attempt_id: str | None = None
    ) -> TotpEnrolment:
        """A new secret for ``user_id``, pending until :meth:`confirm` sees a code from it.

        An unconfirmed earlier enrolment is replaced; a confirmed factor is refused
        (:class:`SecondFactorExists`): it must be removed first, with a recent sign-in.
        ``attempt_id`` binds the enrolment to a login attempt held by the MFA policy.
        """
        key = os.urandom(SECRET_BYTES)
        nonce, sealed = self._sealer.seal(key, associated_data=user_id.encode())
        now = self._clock()
        async with self._store.transaction() as conn:
            row = (
                await conn.execute(
                    select(totp_factors.c.confirmed_at).where(totp_factors.c.user_id == user_id)
                )
            ).first()
            if row is not None and row.confirmed_at is not None:
                raise SecondFactorExists()
            values = {
                "secret_nonce": nonce,
                "secret_sealed": sealed,
                "created_at": now,
                "confirmed_at": None,
                "last_used_step": None,
                "pending_attempt": attempt_id,
            }
            if row is None:
                await conn.execute(totp_factors.insert().values(user_id=user_id, **values))
            else:
                await conn.execute(
                    update(totp_factors).where(totp_factors.c.user_id == user_id).values(**values)
                )
        return TotpEnrolment(secret=_base32(key), otpauth_uri=self._otpauth_uri(key, account_name))

    async def pending_enrolment(
        self, user_id: str, *, account_name: str, attempt_id: str
    ) -> TotpEnrolment | None:
        """The enrolment pending for login attempt ``attempt_id`` (to show its QR code again
        after a mistyped first code), or None. Never one started by another attempt or while
        signed in: only whoever started an enrolment sees its secret."""
        async with self._store.read() as conn:
            row = (
                await conn.execute(select(totp_factors).where(totp_factors.c.user_id == user_id))
            ).first()
        if row is None or row.confirmed_at is not None or row.pending_attempt != attempt_id:
            return None
        key = self._sealer.open(
            row.secret_nonce, row.secret_sealed, associated_data=user_id.encode()
        )
        return TotpEnrolment(secret=_base32(key), otpauth_uri=self._otpauth_uri(key, account_name))

    async def confirm(self, user_id: str, code: str, *, attempt_id: str | None = None) -> bool:
        """Confirm the pending enrolment with a first code; False when the code is wrong.

        With ``attempt_id``, only an enrolment started by that login attempt is confirmed.
        Raises :class:`SecondFactorNotFound` when nothing (of that attempt) is pending."""
        return await self._accept(user_id, code, confirmed=False, attempt_id=attempt_id)

    async def verify(self, user_id: str, code: str) -> bool:
        """Whether ``code`` is a valid, unused code of the user's confirmed factor (it is
        used up when it is)."""
        try:
            return await self._accept(user_id, code, confirmed=True)
        except SecondFactorNotFound:
            return False

    async def enabled(self, user_id: str) -> bool:
        """Whether the user has a confirmed TOTP factor."""
        async with self._store.read() as conn:
            confirmed = (
                await conn.execute(
                    select(totp_factors.c.confirmed_at).where(totp_factors.c.user_id == user_id)
                )
            ).scalar()
        return confirmed is not None

    async def remove(self, user_id: str) -> bool:
        """Remove the user's factor (pending or confirmed); whether a confirmed one existed."""
        return await remove_totp(self._store, user_id)

    def current_step(self) -> int:
        """The RFC 6238 time step of now."""
        return int(self._clock()) // TIME_STEP

    async def _accept(
        self, user_id: str, code: str, *, confirmed: bool, attempt_id: str | None = None
    ) -> bool:
        code = code.strip().replace(" ", "")  # "123 456", as some apps show it
        if not (len(code) == DIGITS and code.isascii() and code.isdigit()):
            return False
        async with self._store.transaction() as conn:
            row = (
                await conn.execute(select(totp_factors).where(totp_factors.c.user_id == user_id))
            ).first()
            if row is None or (row.confirmed_at is not None) != confirmed:
                raise SecondFactorNotFound()
            if attempt_id is not None and row.pending_attempt != attempt_id:
                raise SecondFactorNotFound()
            key = self._sealer.open(
                row.secret_nonce, row.secret_sealed, associated_data=user_id.encode()
            )
            step = _matching_step(key, code, self.current_step())
            if step is None:
                return False
            values: dict[str, object] = {"last_used_step": step}
            if not confirmed:
                values.update(confirmed_at=self._clock(), pending_attempt=None)
            accepted = await conn.execute(
                update(totp_factors)
                .where(
                    totp_factors.c.user_id == user_id,
                    totp_factors.c.secret_sealed == row.secret_sealed,
                    or_(
                        totp_factors.c.last_used_step.is_(None),
                        totp_factors.c.last_used_step < step,
                    ),
                )
                .values(**values)
            )
            return accepted.rowcount == 1

    def _otpauth_uri(self, key: bytes, account_name: str) -> str:
        # Key URI Format (google-authenticator wiki): otpauth://totp/ISSUER:ACCOUNT?secret=…
        # with the issuer repeated as a parameter; the defaults are spelt out for apps that
        # read them rather than assume them.
        label = quote(f"{self._issuer}:{account_name}", safe="@:")
        return (
            f"otpauth://totp/{label}?secret={_base32(key)}&issuer={quote(self._issuer, safe='')}"
            f"&algorithm=SHA1&digits={DIGITS}&period={TIME_STEP}"
        )


async def remove_totp(store: Store, user_id: str) -> bool:
    """Delete the user's TOTP factor (pending or confirmed); whether a confirmed one existed.
    Needs no server secret: an operator's ``jotauth users reset-mfa`` uses it."""
    async with store.transaction() as conn:
        removed = (
            await conn.execute(
                delete(totp_factors)
                .where(totp_factors.c.user_id == user_id)
                .returning(totp_factors.c.confirmed_at)
            )
        ).first()
    return removed is not None and removed.confirmed_at is not None


def _matching_step(key: bytes, code: str, now_step: int) -> int | None:
    """The step within the drift window whose code is ``code``, or None (constant time per
    candidate: every candidate is compared)."""
    # SHA-1 as HMAC-SHA-1 (RFC 6238's default, what every authenticator app computes): HMAC
    # does not rest on SHA-1's collision resistance.
    totp = TOTP(key, DIGITS, SHA1(), TIME_STEP, enforce_key_length=True)  # noqa: S303
    found = None
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        expected = totp.generate(step * TIME_STEP)
        if hmac.compare_digest(expected, code.encode("ascii")):
            found = step
    return found


def _base32(key: bytes) -> str:
    return base64.b32encode(key).decode("ascii").rstrip("=")
