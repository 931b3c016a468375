"""TOTP and recovery codes as second-factor methods of the login step.

Both have the shape of :class:`jotauth.accounts.second_factor_methods.SecondFactorMethod`
(a structural Protocol: nothing here imports the application layer). A proof is the
request's ``code``; a wrong one raises :class:`SecondFactorInvalid`, and both prove ``otp``
(RFC 8176: a one-time password).
"""

from __future__ import annotations

from collections.abc import Mapping

from jotauth.factors.errors import SecondFactorInvalid
from jotauth.factors.recovery_codes import RecoveryCodes
from jotauth.factors.totp import TotpFactors

OTP_AMR = ("otp",)


def code_of(proof: Mapping[str, object]) -> str:
    """The ``code`` of a proof; :class:`SecondFactorInvalid` when there is none."""
    code = proof.get("code")
    if not isinstance(code, str) or not code.strip():
        raise SecondFactorInvalid()
    return code.strip()


class TotpMethod:
    """A code from the user's authenticator app."""

    name = "totp"

    def __init__(self, factors: TotpFactors) -> None:
        self._factors = factors

    async def enrolled(self, user_id: str) -> bool:
        """Whether the user has confirmed a TOTP factor."""
        return await self._factors.enabled(user_id)

    async def challenge(self, user_id: str, attempt_id: str) -> dict[str, object] | None:
        """Nothing to send: the app computes codes from the shared secret and the time."""
        return None

    async def verify(
        self, user_id: str, attempt_id: str, proof: Mapping[str, object]
    ) -> tuple[str, ...]:
        """Accept a current, unused code (``proof["code"]``, six digits, spaces ignored)."""
        if not await self._factors.verify(user_id, code_of(proof)):
            raise SecondFactorInvalid()
        return OTP_AMR


class RecoveryCodeMethod:
    """One of the user's single-use recovery codes."""

    name = "recovery_code"

    def __init__(self, codes: RecoveryCodes) -> None:
        self._codes = codes

    async def enrolled(self, user_id: str) -> bool:
        """Whether the user has an unused recovery code."""
        return await self._codes.remaining(user_id) > 0

    async def challenge(self, user_id: str, attempt_id: str) -> dict[str, object] | None:
        """Nothing to send."""
        return None

    async def verify(
        self, user_id: str, attempt_id: str, proof: Mapping[str, object]
    ) -> tuple[str, ...]:
        """Spend the code in ``proof["code"]``."""
        if not await self._codes.use(user_id, code_of(proof)):
            raise SecondFactorInvalid("The recovery code is not valid or was already used.")
        return OTP_AMR
