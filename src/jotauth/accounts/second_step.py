"""The second step of a login or re-authentication: ``POST /api/auth/login/mfa`` (DESIGN §13).

The ``mfa_token`` names the attempt; the chosen method checks the proof; a wrong proof
counts against the token (a few tries, then it is gone) and against the account (the
second-factor throttle, across tokens: 429 and a ``throttled_attempts`` count past it), and
is audited (``mfa_failed``). A right one uses the token up, then starts the session the
first step asked for (or, for a re-authentication, renews the session it is bound to).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from jotauth.accounts.amr import combined_amr
from jotauth.accounts.errors import UserInactive
from jotauth.accounts.reauthentication import Reauthentication
from jotauth.accounts.results import ClientInfo, Reauthenticated, SignedIn
from jotauth.accounts.second_factor_gate import MfaRequired, SecondFactorGate
from jotauth.accounts.second_factor_methods import SecondFactorMethod
from jotauth.accounts.sign_in import SignIn
from jotauth.errors import JotauthError
from jotauth.factors import (
    MfaTokenInvalid,
    SecondFactorInvalid,
    SecondFactorNotFound,
    SecondFactorThrottled,
    SecondFactorUnavailable,
)
from jotauth.factors.challenges import AccessDelivery, MfaChallenge
from jotauth.factors.methods import OTP_AMR, code_of
from jotauth.factors.recovery_codes import RecoveryCodes
from jotauth.factors.totp import TotpFactors
from jotauth.store import AuditLog, StoreUnavailable
from jotauth.throttle import LoginThrottle
from jotauth.users import User, UserService


@dataclass(frozen=True, slots=True)
class SecondFactorProved:
    """A finished second step: a new session (login) or a renewed one (re-authentication),
    delivered the way the first step asked; ``recovery_codes`` when it also finished an
    enrolment (shown once)."""

    outcome: SignedIn | Reauthenticated
    delivery: AccessDelivery
    recovery_codes: tuple[str, ...] = field(default=(), repr=False)


class SecondStep:
    """Finishes a login (or a re-authentication) held for its second factor."""

    def __init__(
        self,
        *,
        gate: SecondFactorGate,
        sign_in: SignIn,
        reauthentication: Reauthentication,
        users: UserService,
        totp: TotpFactors,
        recovery_codes: RecoveryCodes,
        throttle: LoginThrottle,
        audit: AuditLog,
    ) -> None:
        """``throttle`` counts wrong proofs per account (``second_factor_throttle_for``)."""
        self._gate = gate
        self._sign_in = sign_in
        self._reauthentication = reauthentication
        self._users = users
        self._totp = totp
        self._recovery_codes = recovery_codes
        self._throttle = throttle
        self._audit = audit

    async def complete(
        self,
        *,
        mfa_token: str,
        method: str,
        proof: Mapping[str, object],
        client: ClientInfo,
    ) -> SecondFactorProved:
        """Check ``proof`` (the request body) with ``method`` and finish the attempt.

        Raises :class:`MfaTokenInvalid` (unknown, used, expired, spent),
        :class:`SecondFactorUnavailable` (a method the user has not enrolled),
        :class:`SecondFactorInvalid` (or a method's own error) on a wrong proof,
        :class:`SecondFactorThrottled`, ``UserInactive``; ``SessionRevoked`` when the
        session a re-authentication is bound to ended meanwhile.
        """
        challenge = await self._gate.challenges.open(mfa_token)
        user = await self._users.get_user(challenge.user_id)
        if user is None or user.disabled:
            raise UserInactive()
        if challenge.enrollment:
            return await self._finish_enrolment(challenge, user, method, proof, client)
        chosen = self._gate.methods.get(method)
        if chosen is None or chosen not in await self._gate.methods.enrolled_of(user.id):
            raise SecondFactorUnavailable()
        amr = await self._checked(challenge, user, chosen, proof, client)
        return await self._finish(challenge, user, amr, method, client)

    async def resume(self, mfa_token: str) -> MfaRequired:
        """The methods of a still usable attempt again (a page shown anew after a wrong
        code); ``MfaTokenInvalid`` when it is not usable any more."""
        return await self._gate.resume(mfa_token)

    async def _checked(
        self,
        challenge: MfaChallenge,
        user: User,
        method: SecondFactorMethod,
        proof: Mapping[str, object],
        client: ClientInfo,
    ) -> tuple[str, ...]:
        account = _throttle_account(user.id)
        retry_after = await self._throttle.acquire(account=account, ip=None)
        if retry_after:
            self._audit.record_throttled("mfa_failed", ip=client.ip or None, user_id=user.id)
            raise SecondFactorThrottled(retry_after)
        try:
            amr = await method.verify(user.id, challenge.attempt_id, proof)
        except StoreUnavailable:
            raise
        except JotauthError:
            await self._wrong_try(challenge, user, method.name, client)
            raise
        if not amr:
            # A method must say what it proved; nothing is no proof.
            await self._wrong_try(challenge, user, method.name, client)
            raise SecondFactorInvalid()
        await self._throttle.succeeded(account=account, ip=None)
        return amr

    async def _wrong_try(
        self, challenge: MfaChallenge, user: User, method: str, client: ClientInfo
    ) -> None:
        left = await self._gate.challenges.count_wrong_try(challenge)
        await self._audit.record(
            "mfa_failed",
            user_id=user.id,
            session_id=challenge.session_id,
            ip=client.ip or None,
            detail={"method": method, "purpose": challenge.purpose, "tries_left": left},
        )

    async def _finish_enrolment(
        self,
        challenge: MfaChallenge,
        user: User,
        method: str,
        proof: Mapping[str, object],
        client: ClientInfo,
    ) -> SecondFactorProved:
        """A login the policy held until the user enrols: the first TOTP code confirms the
        authenticator set up with this token, and the recovery codes come with the answer."""
        if method != "totp":
            raise SecondFactorUnavailable("Set up an authenticator app first.")
        amr = await self._checked(
            challenge, user, _EnrolmentConfirmation(self._totp), proof, client
        )
        await self._audit.record(
            "mfa_enabled", user_id=user.id, ip=client.ip or None, detail={"method": "totp"}
        )
        codes = await self._recovery_codes.replace(user.id, ip=client.ip or None)
        proved = await self._finish(challenge, user, amr, "totp", client)
        return SecondFactorProved(proved.outcome, proved.delivery, recovery_codes=codes)

    async def _finish(
        self,
        challenge: MfaChallenge,
        user: User,
        amr: tuple[str, ...],
        method: str,
        client: ClientInfo,
    ) -> SecondFactorProved:
        await self._gate.challenges.use_up(challenge)
        proved = combined_amr(challenge.first_amr, amr)
        outcome: SignedIn | Reauthenticated
        if challenge.purpose == "reauth":
            if challenge.session_id is None:
                raise MfaTokenInvalid()
            outcome = await self._reauthentication.renew(
                user, challenge.session_id, amr=proved, client=client
            )
        else:
            outcome = await self._sign_in.sign_in_verified(
                user,
                amr=proved,
                client=client,
                refresh_delivery="body" if challenge.refresh_delivery == "body" else "cookie",
                audit_detail={"second_factor": method},
            )
        return SecondFactorProved(outcome=outcome, delivery=challenge.delivery)


class _EnrolmentConfirmation:
    """The pending TOTP enrolment as a method: its first code confirms it."""

    name = "totp"

    def __init__(self, totp: TotpFactors) -> None:
        self._totp = totp

    async def challenge(self, user_id: str, attempt_id: str) -> dict[str, object] | None:
        return None

    async def verify(
        self, user_id: str, attempt_id: str, proof: Mapping[str, object]
    ) -> tuple[str, ...]:
        try:
            confirmed = await self._totp.confirm(user_id, code_of(proof), attempt_id=attempt_id)
        except SecondFactorNotFound:
            raise SecondFactorUnavailable("Set up an authenticator app first.") from None
        if not confirmed:
            raise SecondFactorInvalid()
        return OTP_AMR


def _throttle_account(user_id: str) -> str:
    # A key of its own: the login throttle counts the same account by its address.
    return "second-factor:" + user_id
