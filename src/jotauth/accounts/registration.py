"""Sign-up fit for public use: verification mail, and an enumeration-safe mode (DESIGN §12)."""

from __future__ import annotations

from dataclasses import dataclass

from jotauth.accounts.account_mail import AccountMail, MailRate
from jotauth.accounts.quiet_work import Deferred
from jotauth.accounts.results import ClientInfo, SignedIn
from jotauth.accounts.second_factor_gate import MfaRequired
from jotauth.accounts.sign_in import SignIn
from jotauth.factors.challenges import AccessDelivery
from jotauth.sessions import RefreshDelivery
from jotauth.store import AuditLog
from jotauth.users import User, UserExists, UserService, normalise_email


@dataclass(frozen=True, slots=True)
class CheckYourMail:
    """Sign-up answered "check your mail" (202, no session); ``later`` is the work left for
    after the answer (enumeration-safe mode), or None."""

    later: Deferred | None = None


class Registration:
    """Creates accounts; tells the new address to verify itself.

    ``quiet`` (the ``signup_enumeration_safe`` setting): every sign-up answers alike (202,
    no session) and the outcome goes by mail — a verification link to a new address, "you
    already have an account" to a registered one — so the form tells nobody which addresses
    are registered. ``hold_session`` (``require_verified_email``): no session until the
    address is verified, so sign-up also answers 202.
    """

    def __init__(
        self,
        *,
        sign_in: SignIn,
        users: UserService,
        mail: AccountMail | None,
        rate: MailRate,
        audit: AuditLog,
        quiet: bool,
        hold_session: bool,
    ) -> None:
        self._sign_in = sign_in
        self._users = users
        self._mail = mail
        self._rate = rate
        self._audit = audit
        self.quiet = quiet
        self.hold_session = hold_session

    async def sign_up(
        self,
        *,
        email: str,
        password: str,
        name: str,
        client: ClientInfo,
        refresh_delivery: RefreshDelivery = "cookie",
        delivery: AccessDelivery = "cookie",
    ) -> SignedIn | MfaRequired | CheckYourMail:
        """Create the account; a :class:`SignedIn` when it is signed in at once, an
        :class:`MfaRequired` when the MFA policy makes it enrol a second factor first, else
        :class:`CheckYourMail` (quiet mode, or verification required first).

        Raises the users layer's ``WeakPassword``, ``PasswordTooLong``, ``InvalidEmail``,
        ``InvalidProfile``, ``LoginThrottled`` and (unless quiet) ``UserExists``.
        """
        if self.quiet:
            later = await self._sign_up_quietly(
                email=email, password=password, name=name, client=client
            )
            return CheckYourMail(later)
        if self.hold_session:
            user = await self._users.sign_up(email, password, name, ip=client.ip or None)
            if self._mail is not None:
                await self._mail.send_verification(user)
            return CheckYourMail()
        signed_in = await self._sign_in.sign_up(
            email=email,
            password=password,
            name=name,
            client=client,
            refresh_delivery=refresh_delivery,
            delivery=delivery,
        )
        if self._mail is not None:
            new_user: User | None = (
                signed_in.user
                if isinstance(signed_in, SignedIn)
                else await self._users.get_user(signed_in.user_id)
            )
            if new_user is not None:
                await self._mail.send_verification(new_user)
        return signed_in

    async def _sign_up_quietly(
        self, *, email: str, password: str, name: str, client: ClientInfo
    ) -> Deferred:
        mail = self._mail
        if mail is None:
            raise RuntimeError("enumeration-safe sign-up needs mail (refused at start-up)")
        address = normalise_email(email)
        # What can be checked without knowing whether the address is taken is checked now,
        # the same for every address (the policy, the profile, the throttle) ...
        self._users.check_new_account(address, password, name)
        ip = client.ip or None
        await self._rate.count(address, client)

        # ... and the rest after the answer: creating the account costs an argon2 hash that
        # a taken address would not, which the answer's timing must not show.
        async def register() -> None:
            existing = await self._users.get_user_by_email(address)
            if existing is not None:
                if not existing.disabled:
                    await mail.notify_already_registered(existing)
                await self._audit.record(
                    "signup_failed", user_id=existing.id, ip=ip, detail={"reason": "user_exists"}
                )
                return
            try:
                user = await self._users.create_user(address, password, name)
            except UserExists:  # a concurrent sign-up won the address
                return
            await mail.send_verification(user)

        return register
