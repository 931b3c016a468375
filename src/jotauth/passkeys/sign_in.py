"""Passwordless sign-in with a passkey (DESIGN §13): a discoverable credential with user
verification is both factors, and the session starts through ``SignIn.sign_in_verified``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jotauth.accounts import ClientInfo, SignedIn, SignIn
from jotauth.passkeys.challenges import ChallengeBinding
from jotauth.passkeys.errors import PasskeyRefused
from jotauth.passkeys.use_cases import Passkeys
from jotauth.sessions import RefreshDelivery
from jotauth.users import UserService


class PasskeySignIn:
    """``/api/auth/passkeys/login/options`` and ``/login`` (and the hosted page's form)."""

    def __init__(self, *, passkeys: Passkeys, users: UserService, sign_in: SignIn) -> None:
        self._passkeys = passkeys
        self._users = users
        self._sign_in = sign_in

    async def options(self) -> dict[str, Any]:
        """Request options for any discoverable passkey of this site (no user known yet)."""
        return await self._passkeys.login_options()

    async def login(
        self,
        *,
        credential: Mapping[str, Any],
        client: ClientInfo,
        refresh_delivery: RefreshDelivery = "cookie",
    ) -> SignedIn:
        """Sign in with a discoverable passkey: amr ``[hwk|swk, "mfa"]`` (a key the user
        holds, unlocked by user verification: two factors, RFC 8176 §2). No second step
        follows, whatever factors the account has: this was one."""
        asserted = await self._passkeys.assertion(
            credential, ChallengeBinding("login"), require_user_verification=True, client=client
        )
        user = await self._users.get_user(asserted.passkey.user_id)
        if user is None:
            raise PasskeyRefused()
        return await self._sign_in.sign_in_verified(
            user,
            amr=(asserted.amr, "mfa"),
            client=client,
            refresh_delivery=refresh_delivery,
            audit_detail={"method": "passkey", "passkey": asserted.passkey.id},
        )
