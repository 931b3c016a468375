"""Password recovery: ``forgot`` mails a single-use link, ``reset`` uses it (DESIGN §12)."""

from __future__ import annotations

from jotauth.accounts.account_mail import AccountMail, MailRate
from jotauth.accounts.quiet_work import Deferred
from jotauth.accounts.results import ClientInfo
from jotauth.sessions import SessionService
from jotauth.store import AuditLog
from jotauth.users import UserService, normalise_email


class PasswordRecovery:
    """Forgot and reset, answering the same for every address."""

    def __init__(
        self,
        *,
        users: UserService,
        sessions: SessionService,
        mail: AccountMail,
        rate: MailRate,
        audit: AuditLog,
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._mail = mail
        self._rate = rate
        self._audit = audit

    async def forgot(self, *, email: str, client: ClientInfo) -> Deferred:
        """Ask for a reset link; returns the same way, in the same time, for every address.

        Only the address's shape is checked here (``InvalidEmail``, alike for all) and the
        mail throttle counted, per address and per client address whether the address has
        an account or not (``LoginThrottled``). Looking the address up and mailing are the
        returned work, for after the answer (:class:`QuietWork`): no mail for an unknown or
        disabled account.
        """
        address = normalise_email(email)
        ip = client.ip or None
        await self._rate.count(address, client)

        async def send() -> None:
            user = await self._users.get_user_by_email(address)
            if user is None or user.disabled:
                await self._audit.record("password_reset_requested", ip=ip, detail={"sent": False})
                return
            await self._mail.send_password_reset(user)
            await self._audit.record(
                "password_reset_requested", user_id=user.id, ip=ip, detail={"sent": True}
            )

        return send

    async def reset(self, *, token: str, password: str, client: ClientInfo) -> int:
        """Set the new password with the link's token and end every session of the user
        (whoever knew the old password is signed out); returns how many sessions ended.

        Raises ``InvalidAccountLink`` (used, expired, superseded, unknown, disabled user),
        ``WeakPassword``, ``PasswordTooLong``; either leaves the token and account as they
        were.
        """
        ip = client.ip or None
        user = await self._users.reset_password(token, password, ip=ip)
        return await self._sessions.revoke_user_sessions(user.id, reason="password_reset", ip=ip)
