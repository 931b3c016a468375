"""The passkey use cases (DESIGN §13): register, list, rename and remove passkeys, and the
assertion check that passwordless sign-in (:mod:`jotauth.passkeys.sign_in`) and the second
factor share.

Every ceremony is two calls: options (a challenge stored hashed, bound to its purpose and to
who asked) and the response. The response is read, its challenge found with that binding,
the attestation or assertion verified, and only then, in one transaction, the challenge used
up and the result recorded: a refused response changes nothing (a replay finds its
challenge gone), and of two racing responses one wins.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from jotauth.accounts import ClientInfo, MfaPolicy, RecentAuthentication
from jotauth.factors.errors import SecondFactorRequired
from jotauth.passkeys import ceremonies
from jotauth.passkeys.challenges import ChallengeBinding, WebAuthnChallenges
from jotauth.passkeys.credentials import NAME_MAX, Passkey, PasskeyStore, new_passkey_id
from jotauth.passkeys.errors import (
    PasskeyChallengeInvalid,
    PasskeyCloned,
    PasskeyRefused,
)
from jotauth.passkeys.relying_party import RelyingParty
from jotauth.store import AuditLog, Store
from jotauth.users import UserService


@dataclass(frozen=True, slots=True)
class FactorKeeping:
    """What removing the last passkey must respect, as removing the authenticator app does:
    an account the MFA policy covers keeps a second factor, and the recovery codes go with
    the last one."""

    policy: MfaPolicy
    totp_enabled: Callable[[str], Awaitable[bool]]
    remove_recovery_codes: Callable[[str], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Asserted:
    """A passkey that just proved its holder, and what it proved (RFC 8176 amr)."""

    passkey: Passkey
    amr: str  # "hwk" or "swk"
    user_verified: bool


class Passkeys:
    """Passkey registration, management and sign-in."""

    def __init__(
        self,
        *,
        relying_party: RelyingParty,
        credentials: PasskeyStore,
        challenges: WebAuthnChallenges,
        users: UserService,
        recent: RecentAuthentication,
        keeping: FactorKeeping,
        store: Store,
        audit: AuditLog,
        clock: Callable[[], float],
    ) -> None:
        self.relying_party = relying_party
        self.credentials = credentials
        self._challenges = challenges
        self._users = users
        self._recent = recent
        self._keeping = keeping
        self._store = store
        self._audit = audit
        self._clock = clock

    # --- registration (signed in, with a recent authentication) ----------------------------

    async def registration_options(self, *, user_id: str, session_id: str) -> dict[str, Any]:
        """Creation options for a new passkey of ``user_id``, bound to this session; the
        user's passkeys are excluded (one authenticator, one registration). Raises
        ``InsufficientUserAuthentication`` when the session's sign-in is not recent."""
        await self._recent.require(session_id, user_id=user_id)
        user = await self._users.get_user(user_id)
        if user is None:
            raise PasskeyRefused()
        existing = await self.credentials.of_user(user_id)
        challenge = await self._challenges.issue(
            ChallengeBinding("register", user_id=user_id, bound_to=session_id)
        )
        return ceremonies.creation_options(
            self.relying_party,
            challenge=challenge,
            user_handle=user_handle(user_id),
            user_name=user.email,
            display_name=user.name or user.email,
            exclude=[(p.credential_id, p.transports) for p in existing],
        )

    async def register(
        self,
        *,
        user_id: str,
        session_id: str,
        credential: Mapping[str, Any],
        name: str | None = None,
    ) -> Passkey:
        """Verify a registration answering this session's options and keep the passkey
        (a recent authentication still required)."""
        await self._recent.require(session_id, user_id=user_id)
        parsed = ceremonies.parse_registration(credential)
        challenge = ceremonies.challenge_of(parsed)
        binding = ChallengeBinding("register", user_id=user_id, bound_to=session_id)
        if not await self._challenges.is_open(challenge, binding):
            raise PasskeyChallengeInvalid()
        verified = ceremonies.verify_registration(self.relying_party, parsed, challenge=challenge)
        count = len(await self.credentials.of_user(user_id))
        passkey = Passkey(
            id=new_passkey_id(),
            credential_id=verified.credential_id,
            user_id=user_id,
            public_key=verified.public_key,
            sign_count=verified.sign_count,
            transports=verified.transports,
            backup_eligible=verified.backup_eligible,
            backup_state=verified.backup_state,
            aaguid=verified.aaguid,
            name=clean_name(name) or f"Passkey {count + 1}",
            created_at=self._clock(),
            last_used_at=None,
        )

        async def use_challenge(conn: AsyncConnection) -> None:
            if not await self._challenges.use_in(conn, challenge, binding):
                raise PasskeyChallengeInvalid()

        await self.credentials.add(passkey, first=use_challenge)
        return passkey

    # --- management ------------------------------------------------------------------------

    async def of_user(self, user_id: str) -> tuple[Passkey, ...]:
        """The user's passkeys, oldest first."""
        return await self.credentials.of_user(user_id)

    async def rename(self, *, user_id: str, passkey_id: str, name: str) -> Passkey:
        """Rename one of the user's passkeys (a name of only blanks or control characters
        becomes "Passkey")."""
        return await self.credentials.rename(user_id, passkey_id, clean_name(name) or "Passkey")

    async def remove(self, *, user_id: str, session_id: str, passkey_id: str) -> Passkey:
        """Remove one of the user's passkeys (a recent authentication; never the last way to
        sign in). The last second factor of an account the MFA policy covers stays (409
        ``second_factor_required``); with the last one, the recovery codes go too."""
        await self._recent.require(session_id, user_id=user_id)
        passkeys = await self.credentials.of_user(user_id)
        last = [p.id for p in passkeys] == [passkey_id]
        if last and not await self._keeping.totp_enabled(user_id):
            user = await self._users.get_user(user_id)
            if user is not None and self._keeping.policy.requires(user):
                raise SecondFactorRequired()
            removed = await self.credentials.remove(user_id, passkey_id)
            await self._keeping.remove_recovery_codes(user_id)
            return removed
        return await self.credentials.remove(user_id, passkey_id)

    # --- sign-in ---------------------------------------------------------------------------

    async def login_options(self) -> dict[str, Any]:
        """Request options for a passwordless sign-in: no ``allowCredentials`` (the
        authenticator offers its discoverable credentials, also to the browser's autofill),
        user verification required (the passkey is both factors)."""
        challenge = await self._challenges.issue(ChallengeBinding("login"))
        return ceremonies.request_options(
            self.relying_party, challenge=challenge, user_verification="required"
        )

    async def second_factor_options(
        self, *, user_id: str, attempt_id: str
    ) -> dict[str, Any] | None:
        """Request options for the user's passkeys, bound to one login attempt (None when
        the user has none)."""
        passkeys = await self.credentials.of_user(user_id)
        if not passkeys:
            return None
        challenge = await self._challenges.issue(
            ChallengeBinding("second_factor", user_id=user_id, bound_to=attempt_id)
        )
        return ceremonies.request_options(
            self.relying_party,
            challenge=challenge,
            allow=[(p.credential_id, p.transports) for p in passkeys],
            user_verification="preferred",
        )

    async def assertion(
        self,
        credential: Mapping[str, Any],
        binding: ChallengeBinding,
        *,
        require_user_verification: bool,
        client: ClientInfo | None = None,
    ) -> Asserted:
        """Check an assertion answering a challenge of ``binding`` and record its use.

        The credential must be registered (to ``binding.user_id`` when the binding names a
        user), its ``userHandle`` (when sent) its owner's, its backup eligibility unchanged
        (WebAuthn L3 §7.2 step 24), its signature valid, and its counter must have moved on:
        a counter going backwards is refused and audited as a suspected clone.
        """
        parsed = ceremonies.parse_assertion(credential)
        challenge = ceremonies.challenge_of(parsed)
        if not await self._challenges.is_open(challenge, binding):
            raise PasskeyChallengeInvalid()
        passkey = await self.credentials.by_credential_id(parsed.id)
        if passkey is None or (binding.user_id is not None and passkey.user_id != binding.user_id):
            raise PasskeyRefused()
        handle = ceremonies.user_handle_of(parsed)
        if handle is not None and handle != user_handle(passkey.user_id):
            raise PasskeyRefused()
        verified = ceremonies.verify_assertion(
            self.relying_party,
            parsed,
            challenge=challenge,
            key=ceremonies.StoredKey(passkey.public_key, passkey.sign_count),
            require_user_verification=require_user_verification,
        )
        if verified.backup_eligible != passkey.backup_eligible:
            raise PasskeyRefused()
        if ceremonies.counter_went_back(passkey.sign_count, verified.sign_count):
            await self._suspect_clone(passkey, verified.sign_count, client)
        async with self._store.transaction() as conn:
            if not await self._challenges.use_in(conn, challenge, binding):
                raise PasskeyChallengeInvalid()
            recorded = await self.credentials.record_use_in(
                conn, passkey, sign_count=verified.sign_count, backup_state=verified.backup_state
            )
            if not recorded:
                # A racing assertion stored a newer counter first: this one is the stale one.
                raise PasskeyCloned()
        return Asserted(passkey=passkey, amr=passkey.amr, user_verified=verified.user_verified)

    async def _suspect_clone(
        self, passkey: Passkey, presented: int, client: ClientInfo | None
    ) -> None:
        await self._audit.record(
            "passkey_clone_suspected",
            user_id=passkey.user_id,
            ip=(client.ip or None) if client is not None else None,
            detail={"passkey": passkey.id, "stored": passkey.sign_count, "presented": presented},
        )
        raise PasskeyCloned()


def user_handle(user_id: str) -> bytes:
    """The WebAuthn user handle of an account: its random id, never the address (L2 §14.6.1)."""
    return user_id.encode("ascii")


def clean_name(name: str | None) -> str:
    """A passkey name as shown in lists: no control characters, trimmed, bounded."""
    if not name:
        return ""
    text = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())[:NAME_MAX]
