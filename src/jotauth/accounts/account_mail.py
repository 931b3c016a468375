"""The account mails: compose them (branded templates) and queue them in the outbox."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from jotauth.accounts.results import ClientInfo
from jotauth.mail import MailTemplates
from jotauth.store import AuditLog, Outbox, OutgoingMail
from jotauth.throttle import LoginThrottle
from jotauth.users import LoginThrottled, User, UserService


@dataclass(frozen=True, slots=True)
class LinkLifetimes:
    """How long each kind of mailed link works, in seconds."""

    password_reset: int
    email_verification: int


class MailRate:
    """The mail throttle (``mail_throttle_for``): mails per recipient address and per client
    address, counted before anything shows whether the address has an account."""

    def __init__(self, throttle: LoginThrottle, audit: AuditLog) -> None:
        self._throttle = throttle
        self._audit = audit

    async def count(self, address: str, client: ClientInfo) -> None:
        """Count one mail asked for; :class:`LoginThrottled` (429) past the limits."""
        ip = client.ip or None
        if retry_after := await self._throttle.acquire(account=address, ip=ip):
            self._audit.record_throttled("mail_throttled", ip=ip)
            raise LoginThrottled(retry_after, "too many mails asked for; try again later")


class AccountMail:
    """What each account flow mails; links are written with the mail, in one transaction."""

    def __init__(
        self,
        *,
        users: UserService,
        outbox: Outbox,
        templates: MailTemplates,
        lifetimes: LinkLifetimes,
        queued: Callable[[], None] = lambda: None,
    ) -> None:
        self._users = users
        self._outbox = outbox
        self._templates = templates
        self._lifetimes = lifetimes
        self._queued = queued  # wakes the delivery loop

    async def send_password_reset(self, user: User) -> None:
        """Mail ``user`` a single-use link to choose a new password."""
        ttl = self._lifetimes.password_reset

        def compose(token: str) -> OutgoingMail:
            return self._templates.password_reset(
                to=user.email, name=user.name, token=token, valid_minutes=ttl // 60
            )

        await self._users.issue_account_link(
            user, email=user.email, purpose="password_reset", ttl=ttl, mail=compose
        )
        self._queued()

    async def send_verification(self, user: User, *, email: str | None = None) -> None:
        """Mail a verification link to ``email`` (by default the account's own address; a
        new address when the user is changing it)."""
        address = email or user.email
        ttl = self._lifetimes.email_verification

        def compose(token: str) -> OutgoingMail:
            return self._templates.verify_email(
                to=address,
                name=user.name,
                token=token,
                valid_hours=math.ceil(ttl / 3600),
                new_address=address != user.email,
            )

        await self._users.issue_account_link(
            user, email=address, purpose="verify_email", ttl=ttl, mail=compose
        )
        self._queued()

    async def notify_email_change(self, user: User, *, new_email: str) -> None:
        """Tell the account's current address that a change to ``new_email`` was asked for."""
        await self._outbox.enqueue(
            self._templates.email_change_notice(to=user.email, name=user.name, new_email=new_email)
        )
        self._queued()

    async def notify_already_registered(self, user: User) -> None:
        """Enumeration-safe sign-up with a registered address: say so to that address."""
        await self._outbox.enqueue(
            self._templates.already_registered(to=user.email, name=user.name)
        )
        self._queued()
