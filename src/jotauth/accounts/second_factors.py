"""A signed-in user managing their own second factors (DESIGN §13).

Every change needs a recent authentication (:class:`RecentAuthentication`): a stolen session
must not be able to remove a factor, or swap in an authenticator of its own. Only the policy's
enrolment (a login held until the user sets up TOTP) starts a TOTP with the ``mfa_token``
instead of a session.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jotauth.accounts.errors import UserInactive
from jotauth.accounts.recent_auth import RecentAuthentication
from jotauth.accounts.results import ClientInfo
from jotauth.accounts.second_factor_gate import BACKUP_METHODS, SecondFactorGate
from jotauth.factors import (
    ConfirmationCodeInvalid,
    MfaTokenInvalid,
    SecondFactorNotFound,
    SecondFactorRequired,
)
from jotauth.factors.qr import otpauth_qr_svg
from jotauth.factors.recovery_codes import RecoveryCodes
from jotauth.factors.totp import TotpEnrolment, TotpFactors
from jotauth.store import AuditLog
from jotauth.users import User, UserService


@dataclass(frozen=True, slots=True)
class TotpSetup:
    """What the enrolment page shows: the secret, its ``otpauth://`` URI and a QR code."""

    secret: str = field(repr=False)
    otpauth_uri: str = field(repr=False)
    qr_svg: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class SecondFactorStatus:
    """The user's second factors, for account pages: the enrolled method names (in offer
    order), and how many recovery codes are left."""

    methods: tuple[str, ...]
    recovery_codes_remaining: int

    @property
    def enabled(self) -> bool:
        """Whether the user has a second factor (recovery codes alone are none)."""
        return any(name not in BACKUP_METHODS for name in self.methods)


class SecondFactors:
    """Setting up and removing TOTP, regenerating recovery codes, the factors' status."""

    def __init__(
        self,
        *,
        users: UserService,
        gate: SecondFactorGate,
        totp: TotpFactors,
        recovery_codes: RecoveryCodes,
        recent: RecentAuthentication,
        audit: AuditLog,
    ) -> None:
        self._users = users
        self._gate = gate
        self._totp = totp
        self._recovery_codes = recovery_codes
        self._recent = recent
        self._audit = audit

    async def status(self, user_id: str) -> SecondFactorStatus:
        """The user's enrolled methods and remaining recovery codes (a read: no recent
        sign-in needed)."""
        return SecondFactorStatus(
            methods=await self.methods(user_id),
            recovery_codes_remaining=await self._recovery_codes.remaining(user_id),
        )

    async def methods(self, user_id: str) -> tuple[str, ...]:
        """The names of the user's enrolled methods, in offer order (one read)."""
        return tuple(method.name for method in await self._gate.methods.enrolled_of(user_id))

    async def start_totp(self, *, user_id: str, session_id: str) -> TotpSetup:
        """A new TOTP secret, pending until :meth:`confirm_totp` (recent sign-in required;
        ``SecondFactorExists`` when one is already confirmed)."""
        await self._recent.require(session_id, user_id=user_id)
        return await self._setup(await self._active(user_id))

    async def start_totp_for_enrolment(self, *, mfa_token: str, again: bool = False) -> TotpSetup:
        """The TOTP set-up of a login the MFA policy holds until the user enrols: the
        ``mfa_token`` stands in for the session (only a token issued for an enrolment), and
        the enrolment is bound to that login attempt. ``again`` shows the attempt's pending
        secret once more (after a mistyped first code) instead of a new one."""
        challenge = await self._gate.challenges.open(mfa_token)
        if not challenge.enrollment:
            raise MfaTokenInvalid()
        user = await self._active(challenge.user_id)
        if again:
            pending = await self._totp.pending_enrolment(
                user.id, account_name=user.email, attempt_id=challenge.attempt_id
            )
            if pending is not None:
                return _setup_of(pending)
        return await self._setup(user, attempt_id=challenge.attempt_id)

    async def confirm_totp(
        self, *, user_id: str, session_id: str, code: str, client: ClientInfo
    ) -> tuple[str, ...]:
        """Confirm the pending TOTP with its first code; returns the new recovery codes
        (shown once). A wrong code is :class:`ConfirmationCodeInvalid` (422); nothing
        pending is ``SecondFactorNotFound``."""
        await self._recent.require(session_id, user_id=user_id)
        if not await self._totp.confirm(user_id, code):
            raise ConfirmationCodeInvalid()
        await self._audit.record(
            "mfa_enabled",
            user_id=user_id,
            session_id=session_id,
            ip=client.ip or None,
            detail={"method": "totp"},
        )
        return await self._recovery_codes.replace(
            user_id, session_id=session_id, ip=client.ip or None
        )

    async def remove_totp(self, *, user_id: str, session_id: str, client: ClientInfo) -> None:
        """Remove the user's TOTP (recent sign-in required). Refused (409
        ``second_factor_required``) when it is the last factor of an account the policy
        requires one for; the recovery codes go with the last factor."""
        await self._recent.require(session_id, user_id=user_id)
        user = await self._active(user_id)
        if not await self._totp.enabled(user_id):
            raise SecondFactorNotFound()
        others = [
            method
            for method in await self._gate.methods.enrolled_of(user_id)
            if method.name not in BACKUP_METHODS and method.name != "totp"
        ]
        if not others and self._gate.policy.requires(user):
            raise SecondFactorRequired()
        await self._totp.remove(user_id)
        if not others:
            await self._recovery_codes.remove(user_id)
        await self._audit.record(
            "mfa_disabled",
            user_id=user_id,
            session_id=session_id,
            ip=client.ip or None,
            detail={"method": "totp", "recovery_codes_removed": not others},
        )

    async def regenerate_recovery_codes(
        self, *, user_id: str, session_id: str, client: ClientInfo
    ) -> tuple[str, ...]:
        """A new set of recovery codes (the old ones stop working); recent sign-in and a
        second factor required (``SecondFactorNotFound`` without one)."""
        await self._recent.require(session_id, user_id=user_id)
        if not await self._gate.has_second_factor(user_id):
            raise SecondFactorNotFound("Set up a second factor before recovery codes.")
        return await self._recovery_codes.replace(
            user_id, session_id=session_id, ip=client.ip or None
        )

    async def _setup(self, user: User, *, attempt_id: str | None = None) -> TotpSetup:
        return _setup_of(
            await self._totp.start_enrolment(
                user.id, account_name=user.email, attempt_id=attempt_id
            )
        )

    async def _active(self, user_id: str) -> User:
        user = await self._users.get_user(user_id)
        if user is None or user.disabled:
            raise UserInactive()
        return user


def _setup_of(enrolment: TotpEnrolment) -> TotpSetup:
    return TotpSetup(
        secret=enrolment.secret,
        otpauth_uri=enrolment.otpauth_uri,
        qr_svg=otpauth_qr_svg(enrolment.otpauth_uri),
    )
