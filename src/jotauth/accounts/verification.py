"""Email verification and address change (DESIGN §12)."""

from __future__ import annotations

from jotauth.accounts.account_mail import AccountMail, MailRate
from jotauth.accounts.errors import UserInactive
from jotauth.accounts.quiet_work import Deferred
from jotauth.accounts.recent_auth import RecentAuthentication
from jotauth.accounts.results import ClientInfo
from jotauth.store import AuditLog
from jotauth.users import User, UserExists, UserService, normalise_email


class EmailVerification:
    """Mail verification links, redeem them, change the account's address."""

    def __init__(
        self,
        *,
        users: UserService,
        mail: AccountMail,
        rate: MailRate,
        audit: AuditLog,
        recent: RecentAuthentication | None = None,
    ) -> None:
        """``recent`` makes an address change need a recent sign-in (None: not checked)."""
        self._recent = recent
        self._users = users
        self._mail = mail
        self._rate = rate
        self._audit = audit

    async def send_to_own_address(self, *, user_id: str, client: ClientInfo) -> bool:
        """A signed-in user asks for a (new) verification mail; False when the address is
        verified already (nothing is sent). Throttled per address and client address."""
        user = await self._active(user_id)
        if user.email_verified:
            return False
        await self._rate.count(user.email, client)
        await self._mail.send_verification(user)
        await self._audit.record("email_verification_sent", user_id=user.id, ip=client.ip or None)
        return True

    async def resend(self, *, email: str, client: ClientInfo) -> Deferred:
        """Someone who cannot sign in yet (``require_verified_email``) asks again: the same
        answer for every address; the look-up is the returned work, for after it (as
        ``forgot``)."""
        address = normalise_email(email)
        await self._rate.count(address, client)

        async def send() -> None:
            user = await self._users.get_user_by_email(address)
            if user is None or user.disabled or user.email_verified:
                return
            await self._mail.send_verification(user)
            await self._audit.record(
                "email_verification_sent", user_id=user.id, ip=client.ip or None
            )

        return send

    async def verify(self, *, token: str, client: ClientInfo) -> User:
        """Redeem a verification link: the address it went to is verified (and becomes the
        account's address after a change, told at the old one when it was asked for).
        ``InvalidAccountLink`` otherwise; ``UserExists`` when another account took the new
        address meanwhile."""
        user, _previous = await self._users.verify_email(token, ip=client.ip or None)
        return user

    async def change_email(
        self, *, user_id: str, new_email: str, password: str, session_id: str, client: ClientInfo
    ) -> None:
        """Start an address change: the password is checked again (throttled like login),
        the new address gets a verification link and the current one a notice. The account
        keeps its address until the link is followed.

        Raises ``WrongPassword``, ``LoginThrottled``, ``InvalidEmail``, ``UserExists`` (the
        address belongs to another account, or already to this one: nothing to change),
        ``InsufficientUserAuthentication`` (the sign-in is not recent).
        """
        if self._recent is not None:
            await self._recent.require(session_id, user_id=user_id)
        user = await self._active(user_id)
        address = normalise_email(new_email)
        await self._users.check_current_password(
            user, password, session_id=session_id, ip=client.ip or None
        )
        if address == user.email or await self._users.get_user_by_email(address) is not None:
            raise UserExists("this address already belongs to an account")
        await self._rate.count(address, client)
        await self._mail.send_verification(user, email=address)
        await self._mail.notify_email_change(user, new_email=address)
        await self._audit.record(
            "email_change_requested", user_id=user.id, session_id=session_id, ip=client.ip or None
        )

    async def _active(self, user_id: str) -> User:
        user = await self._users.get_user(user_id)
        if user is None or user.disabled:
            raise UserInactive()
        return user
