"""Passkeys as the second step of a login (the ``SecondFactorMethod`` Protocol of
:mod:`jotauth.accounts.second_factor_methods`)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import ColumnElement, exists

from jotauth.factors.errors import SecondFactorInvalid
from jotauth.factors.methods import ENROLLED_USER
from jotauth.passkeys.challenges import ChallengeBinding
from jotauth.passkeys.errors import PasskeyMalformed, PasskeyRefused
from jotauth.passkeys.use_cases import Passkeys
from jotauth.store.schema import webauthn_credentials


class PasskeySecondFactor:
    """``method: "passkey"`` of ``POST /api/auth/login/mfa``: the ``mfa_required`` answer
    carries request options listing the user's passkeys, bound to that login attempt; the
    proof is ``{"credential": PublicKeyCredential.toJSON()}``."""

    name = "passkey"
    enrolled_clause: ColumnElement[bool] = exists().where(
        webauthn_credentials.c.user_id == ENROLLED_USER
    )

    def __init__(self, passkeys: Passkeys) -> None:
        self._passkeys = passkeys

    async def challenge(self, user_id: str, attempt_id: str) -> dict[str, object] | None:
        """``PublicKeyCredentialRequestOptionsJSON`` with ``allowCredentials`` = the user's
        passkeys, its challenge usable only by this attempt."""
        return await self._passkeys.second_factor_options(user_id=user_id, attempt_id=attempt_id)

    async def verify(
        self, user_id: str, attempt_id: str, proof: Mapping[str, object]
    ) -> tuple[str, ...]:
        """``("hwk",)`` or ``("swk",)`` for an assertion of one of the user's passkeys
        answering this attempt's challenge. A refused assertion is the login step's
        ``second_factor_invalid`` (its tries are counted); a malformed one, a spent challenge
        and a suspected clone keep their own codes."""
        credential = proof.get("credential")
        if not isinstance(credential, Mapping):
            raise PasskeyMalformed()
        try:
            asserted = await self._passkeys.assertion(
                {str(key): value for key, value in credential.items()},
                ChallengeBinding("second_factor", user_id=user_id, bound_to=attempt_id),
                require_user_verification=False,
            )
        except PasskeyRefused as error:
            raise SecondFactorInvalid("The passkey was not accepted.") from error
        return (asserted.amr,)
