"""User accounts: creation, authentication with throttling, roles, disabling, password change."""

from __future__ import annotations

import logging
import re
import time
import unicodedata
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import exc, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from jotauth.store import AuditLog, OutgoingMail, Store
from jotauth.store.schema import users
from jotauth.throttle import LoginThrottle
from jotauth.users.account_tokens import AccountTokens, InvalidAccountLink, TokenPurpose
from jotauth.users.by_id import (
    NO_PASSWORD,
    USER_BY_EMAIL,
    AccountById,
    UserById,
    user_from_row,
)
from jotauth.users.email import normalise_email
from jotauth.users.errors import (
    HashQueueFull,
    InvalidProfile,
    LoginThrottled,
    PasswordAlreadySet,
    UserExists,
    UserNotFound,
    WrongPassword,
)
from jotauth.users.models import User
from jotauth.users.passwords import PasswordHasher, check_password_policy, prepare_password

if TYPE_CHECKING:
    from jotauth.users.importing import ImportReport

_log = logging.getLogger("jotauth.users")

# RFC 6749 §3.3 scope-token: printable ASCII except space, '"' and '\'. Roles follow the same
# rule so both travel safely in a JWT and in a space-separated list.
_TOKEN_CHARS = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]{1,64}")
_MAX_TOKENS = 64
_MAX_NAME_CHARS = 200

# Runs inside the transaction that creates a user (the federation links its identity there).
OnCreated = Callable[[AsyncConnection, User], Awaitable[None]]


class UserService:
    """Everything about user accounts that the HTTP layer and the CLI need."""

    def __init__(
        self,
        store: Store,
        hasher: PasswordHasher,
        *,
        throttle: LoginThrottle,
        audit: AuditLog,
        min_password_length: int,
        clock: Callable[[], float] = time.time,
        account_tokens: AccountTokens | None = None,
    ) -> None:
        self._account_tokens = account_tokens
        self._store = store
        self._hasher = hasher
        self._min_length = min_password_length
        self._clock = clock
        self._audit = audit
        self._throttle = throttle
        # get_user inside a unit of work (Store.read_unit/write_unit): a refresh reads its
        # session's owner in the rotation's own transaction (an object, not a method: on
        # PostgreSQL the rotation embeds its statement, see UserById).
        self.user_in = UserById()
        # The same with whether the user has a password (/me), read in its session's statement.
        self.account_in = AccountById()

    async def create_user(
        self,
        email: str,
        password: str,
        name: str = "",
        roles: Iterable[str] = (),
        scope: Iterable[str] = (),
        *,
        email_verified: bool = False,
    ) -> User:
        """Create an account; raises InvalidEmail, WeakPassword, PasswordTooLong, UserExists."""
        address, prepared = self._checked_new_account(email, password, name)
        user = User(
            id=uuid.uuid4().hex,
            email=address,
            name=_clean_name(name),
            roles=_clean_tokens(roles, "role"),
            scope=_clean_tokens(scope, "scope"),
            disabled=False,
            created_at=self._clock(),
            email_verified=email_verified,
        )
        await self._insert_user(user, await self._hasher.hash(prepared))
        return user

    def check_new_account(self, email: str, password: str, name: str = "") -> None:
        """The checks of :meth:`create_user` that need no store: the address's shape, the
        password policy, the name. Raises what ``create_user`` raises for them."""
        self._checked_new_account(email, password, name)

    def _checked_new_account(self, email: str, password: str, name: str) -> tuple[str, str]:
        """The normalised address and the prepared password of a new account."""
        address = normalise_email(email)
        prepared = check_password_policy(
            password, min_length=self._min_length, email=address, context=(name,)
        )
        _clean_name(name)
        return address, prepared

    async def create_user_without_password(
        self,
        email: str,
        name: str = "",
        *,
        email_verified: bool = False,
        on_created: OnCreated | None = None,
    ) -> User:
        """Create an account that signs in through another identity provider only (no
        password until :meth:`set_first_password`). ``email_verified``: the provider vouched
        for the address. ``on_created`` runs in the same transaction, so the account and what
        it needs (its linked identity) commit together or not at all. Raises InvalidEmail,
        InvalidProfile, UserExists."""
        user = User(
            id=uuid.uuid4().hex,
            email=normalise_email(email),
            name=_clean_name(name),
            roles=(),
            scope=(),
            disabled=False,
            created_at=self._clock(),
            email_verified=email_verified,
        )
        await self._insert_user(
            user, NO_PASSWORD, audit_detail={"password": False}, on_created=on_created
        )
        return user

    async def _insert_user(
        self,
        user: User,
        password_hash: str,
        *,
        audit_detail: dict[str, object] | None = None,
        on_created: OnCreated | None = None,
    ) -> None:
        """Store a new account and its ``user_created`` event in one transaction."""
        try:
            async with self._store.transaction() as conn:
                await conn.execute(
                    insert(users).values(
                        id=user.id,
                        email=user.email,
                        name=user.name,
                        password_hash=password_hash,
                        roles=list(user.roles),
                        scope=list(user.scope),
                        disabled=False,
                        email_verified=user.email_verified,
                        created_at=user.created_at,
                        updated_at=user.created_at,
                    )
                )
                await self._audit.record_in(
                    conn, "user_created", user_id=user.id, detail=audit_detail
                )
                if on_created is not None:
                    await on_created(conn, user)
        except exc.IntegrityError as error:
            raise UserExists() from error

    async def has_password(self, user_id: str) -> bool:
        """Whether the account can sign in with a password."""
        async with self._store.read() as conn:
            stored = (
                await conn.execute(select(users.c.password_hash).where(users.c.id == user_id))
            ).scalar_one_or_none()
        return stored is not None and stored != NO_PASSWORD

    async def set_first_password(
        self, user_id: str, password: str, *, session_id: str | None = None, ip: str | None = None
    ) -> None:
        """Give an account created through another provider its first password.

        Raises :class:`PasswordAlreadySet` when it has one (a conditional update: two racing
        requests cannot both set it), WeakPassword, PasswordTooLong, UserNotFound."""
        user = await self.get_user(user_id)
        if user is None:
            raise UserNotFound()
        prepared = check_password_policy(password, min_length=self._min_length, email=user.email)
        new_hash = await self._hasher.hash(prepared)
        async with self._store.transaction() as conn:
            result = await conn.execute(
                update(users)
                .where(users.c.id == user_id, users.c.password_hash == NO_PASSWORD)
                .values(password_hash=new_hash, updated_at=self._clock())
            )
            if result.rowcount != 1:
                raise PasswordAlreadySet()
            await self._audit.record_in(
                conn,
                "password_changed",
                user_id=user_id,
                session_id=session_id,
                ip=ip,
                detail={"first_password": True},
            )

    async def sign_up(
        self, email: str, password: str, name: str = "", *, ip: str | None = None
    ) -> User:
        """Self-service account creation: :meth:`create_user` behind the login throttle.

        Each attempt counts against the address's and the account's login limits, and is not
        refunded on success (one address cannot mint accounts without bound). The existence
        check comes before the argon2 hash, so a taken address costs no hashing. Its
        ``UserExists`` (409) reveals that the address is registered, as any sign-up form
        must; the early answer's timing tells nothing more. Raises :class:`LoginThrottled`,
        :class:`UserExists` (audited ``signup_failed``) and :meth:`create_user`'s errors.
        """
        address = normalise_email(email)
        check_password_policy(password, min_length=self._min_length, email=address, context=(name,))
        retry_after = await self._throttle.acquire(account=address, ip=ip)
        if retry_after:
            self._audit.record_throttled("signup_failed", ip=ip)
            raise LoginThrottled(retry_after)
        existing = await self._row_by_email(address)
        if existing is not None:
            await self._audit.record(
                "signup_failed", user_id=existing["id"], ip=ip, detail={"reason": "user_exists"}
            )
            raise UserExists()
        return await self.create_user(address, password, name)

    async def authenticate(
        self, email: str, password: str, *, ip: str | None = None
    ) -> User | None:
        """The user whose email and password these are, or ``None`` — one answer for unknown
        user, wrong password and disabled account, in the same time (no enumeration).

        Raises :class:`LoginThrottled` (with ``retry_after`` seconds) when the account or
        address made too many attempts, :class:`PasswordTooLong` / :class:`InvalidEmail` for
        input that cannot belong to any account, and ``StoreUnavailable``. Audits
        ``login_failed``; the ``login`` event comes with the session.
        """
        prepared = prepare_password(password)
        address = normalise_email(email)
        retry_after = await self._throttle.acquire(account=address, ip=ip)
        if retry_after:
            self._audit.record_throttled("login_failed", ip=ip)
            raise LoginThrottled(retry_after)
        row = await self._row_by_email(address)
        if row is None:
            await self._hasher.verify_dummy(prepared)
            await self._audit.record("login_failed", ip=ip, detail={"reason": "unknown_user"})
            return None
        if row["password_hash"] == NO_PASSWORD:
            # Same time as a real check: an account without a password is not told apart.
            await self._hasher.verify_dummy(prepared)
            matches = False
        else:
            matches = await self._hasher.verify(row["password_hash"], prepared, as_typed=password)
        if not matches or row["disabled"]:
            reason = "wrong_password" if not matches else "disabled"
            await self._audit.record(
                "login_failed", user_id=row["id"], ip=ip, detail={"reason": reason}
            )
            return None
        await self._throttle.succeeded(account=address, ip=ip)
        if self._hasher.check_needs_rehash(row["password_hash"]):
            await self._rehash(row["id"], row["password_hash"], prepared)
        return user_from_row(row)

    async def get_user(self, user_id: str) -> User | None:
        """The user with this id, or ``None``."""
        return await self._store.read_unit(lambda conn: self.user_in(conn, user_id))

    async def get_user_by_email(self, email: str) -> User | None:
        """The user with this address (any spelling that normalises to it), or ``None``."""
        row = await self._row_by_email(normalise_email(email))
        return None if row is None else user_from_row(row)

    async def list_users(self) -> list[User]:
        """Every user, by email address."""
        async with self._store.read() as conn:
            rows = (await conn.execute(select(users).order_by(users.c.email))).mappings()
            return [user_from_row(row) for row in rows]

    async def disable_user(self, user_id: str) -> User:
        """Disable an account (its sessions are ended by the use case that calls this,
        :meth:`jotauth.accounts.Administration.disable_user`); raises :class:`UserNotFound`."""
        user = await self._update(user_id, disabled=True)
        await self._audit.record("user_disabled", user_id=user_id)
        return user

    async def enable_user(self, user_id: str) -> User:
        """Allow a disabled account to log in again; raises :class:`UserNotFound`."""
        return await self._update(user_id, disabled=False)

    async def set_roles(self, user_id: str, roles: Iterable[str]) -> User:
        """Replace the user's roles (they reach tokens at the next refresh)."""
        user = await self._update(user_id, roles=list(_clean_tokens(roles, "role")))
        await self._audit.record("roles_changed", user_id=user_id, detail={"roles": user.roles})
        return user

    async def set_scope(self, user_id: str, scope: Iterable[str]) -> User:
        """Replace the user's scope (it reaches tokens at the next refresh)."""
        return await self._update(user_id, scope=list(_clean_tokens(scope, "scope")))

    async def change_password(
        self,
        user_id: str,
        current: str,
        new: str,
        *,
        current_session_id: str | None = None,
        ip: str | None = None,
    ) -> None:
        """Change a password after checking the current one.

        Ending the other sessions is the caller's part
        (:meth:`jotauth.accounts.OwnAccount.change_password`). Raises
        :class:`WrongPassword`, :class:`LoginThrottled`, :class:`WeakPassword`,
        :class:`PasswordTooLong`, :class:`UserNotFound`. Audits ``password_change_failed``.
        """
        prepare_password(current)
        user = await self.get_user(user_id)
        if user is None:
            raise UserNotFound()
        prepared_new = check_password_policy(
            new, min_length=self._min_length, email=user.email, context=(user.name,)
        )
        await self.check_current_password(user, current, session_id=current_session_id, ip=ip)
        new_hash = await self._hasher.hash(prepared_new)
        async with self._store.transaction() as conn:
            await conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(password_hash=new_hash, updated_at=self._clock())
            )
            await self._audit.record_in(
                conn, "password_changed", user_id=user_id, session_id=current_session_id, ip=ip
            )

    async def import_users(
        self, lines: Iterable[tuple[int, bytes | None]], *, dry_run: bool = False
    ) -> ImportReport:
        """Create accounts from import-file lines with foreign password hashes (see
        :mod:`jotauth.users.importing`): refused lines reported by number, existing addresses
        skipped, nothing written with ``dry_run``. Audits ``user_imported`` per account."""
        # importing builds on this module's profile rules, so it is imported on use.
        from jotauth.users import importing

        rows, problems = importing.parse_rows(
            lines, clean_name=_clean_name, clean_roles=lambda roles: _clean_tokens(roles, "role")
        )
        report = importing.ImportReport(dry_run=dry_run, problems=problems)
        taken = await importing.existing_emails(self._store, [row.email for row in rows])
        fresh = [row for row in rows if row.email not in taken]
        report.existing = [row for row in rows if row.email in taken]
        if dry_run:
            report.created = fresh
            return report
        created, raced = await importing.insert_rows(
            self._store, self._audit, fresh, now=self._clock()
        )
        report.created = created
        report.existing = sorted([*report.existing, *raced], key=lambda row: row.line)
        return report

    async def check_current_password(
        self, user: User, password: str, *, session_id: str | None, ip: str | None
    ) -> None:
        """Check a signed-in user's password again (password or address change).

        The check is a password oracle like login (a stolen access token must not allow
        unlimited guesses): it shares login's per-account and per-address counters (OWASP
        Authentication Cheat Sheet, "Protect against automated attacks"). Raises
        :class:`WrongPassword` (audited ``password_change_failed``), :class:`LoginThrottled`.
        """
        prepared = prepare_password(password)
        retry_after = await self._throttle.acquire(account=user.email, ip=ip)
        if retry_after:
            self._audit.record_throttled("password_change_failed", ip=ip, user_id=user.id)
            raise LoginThrottled(retry_after)
        async with self._store.read() as conn:
            stored = (
                await conn.execute(select(users.c.password_hash).where(users.c.id == user.id))
            ).scalar_one()
        if stored == NO_PASSWORD:
            # An account made through another provider has no password: same time as a miss.
            await self._hasher.verify_dummy(prepared)
        if stored == NO_PASSWORD or not await self._hasher.verify(
            stored, prepared, as_typed=password
        ):
            await self._audit.record(
                "password_change_failed",
                user_id=user.id,
                session_id=session_id,
                ip=ip,
                detail={"reason": "wrong_password"},
            )
            raise WrongPassword()
        await self._throttle.succeeded(account=user.email, ip=ip)

    async def reset_password(self, token: str, new_password: str, *, ip: str | None) -> User:
        """Set a new password with a reset link's token (single use); the address it was
        mailed to is verified by the same act.

        Every check comes before any change: an invalid link or a weak password leaves the
        token usable and the account as it was. Ending the sessions is the caller's part
        (:class:`jotauth.accounts.PasswordRecovery`). Raises :class:`InvalidAccountLink`
        (also for a disabled account), :class:`WeakPassword`, :class:`PasswordTooLong`.
        """
        tokens = self._tokens()
        record = await tokens.peek(token, "password_reset")
        user = await self.get_user(record.user_id)
        if user is None or user.disabled:
            raise InvalidAccountLink()
        prepared = check_password_policy(
            new_password, min_length=self._min_length, email=user.email, context=(user.name,)
        )
        new_hash = await self._hasher.hash(prepared)
        async with self._store.transaction() as conn:
            redeemed = await tokens.redeem_in(conn, token, "password_reset")
            values: dict[str, Any] = {"password_hash": new_hash, "updated_at": self._clock()}
            if redeemed.email == user.email:
                values["email_verified"] = True  # the link reached this address
            await conn.execute(update(users).where(users.c.id == user.id).values(**values))
            await self._audit.record_in(conn, "password_reset", user_id=user.id, ip=ip)
        return user

    async def verify_email(self, token: str, *, ip: str | None) -> tuple[User, str]:
        """Mark the address a verification link was mailed to as verified; when it is not
        the account's current address (an address change), it becomes the account's
        address. Returns the user as now stored and the address before.

        Raises :class:`InvalidAccountLink` (also for a disabled account) and
        :class:`UserExists` when another account took the new address meanwhile.
        """
        tokens = self._tokens()
        record = await tokens.peek(token, "verify_email")
        user = await self.get_user(record.user_id)
        if user is None or user.disabled:
            raise InvalidAccountLink()
        try:
            async with self._store.transaction() as conn:
                redeemed = await tokens.redeem_in(conn, token, "verify_email")
                changed = redeemed.email != user.email
                await conn.execute(
                    update(users)
                    .where(users.c.id == user.id)
                    .values(email=redeemed.email, email_verified=True, updated_at=self._clock())
                )
                await self._audit.record_in(
                    conn,
                    "email_changed" if changed else "email_verified",
                    user_id=user.id,
                    ip=ip,
                )
        except exc.IntegrityError as error:
            raise UserExists() from error
        verified = await self.get_user(user.id)
        if verified is None:
            raise InvalidAccountLink()
        return verified, user.email

    async def issue_account_link(
        self,
        user: User,
        *,
        email: str,
        purpose: TokenPurpose,
        ttl: float,
        mail: Callable[[str], OutgoingMail],
    ) -> None:
        """Mail ``user`` a single-use link for ``purpose`` at ``email`` (the token and the
        mail are written together; see :class:`AccountTokens`)."""
        await self._tokens().issue(
            user_id=user.id, email=email, purpose=purpose, ttl=ttl, mail=mail
        )

    async def check_account_link(self, token: str, purpose: TokenPurpose) -> None:
        """Raise :class:`InvalidAccountLink` unless ``token`` is a live link of ``purpose``
        for an active account (the page a link opens says so before any typing)."""
        record = await self._tokens().peek(token, purpose)
        user = await self.get_user(record.user_id)
        if user is None or user.disabled:
            raise InvalidAccountLink()

    def _tokens(self) -> AccountTokens:
        if self._account_tokens is None:
            raise RuntimeError("this UserService was built without account tokens")
        return self._account_tokens

    async def _row_by_email(self, address: str) -> RowMapping | None:
        # A unit: one indexed row, read on the loop's thread on SQLite instead of a thread
        # hop per step of the async connection (issue 15).
        return await self._store.read_unit(
            lambda conn: conn.execute(USER_BY_EMAIL, {"email": address}).mappings().first()
        )

    async def _rehash(self, user_id: str, old_hash: str, prepared: str) -> None:
        """Upgrade a hash made with older argon2 parameters, now that we know the password."""
        try:
            new_hash = await self._hasher.hash(prepared)
        except HashQueueFull:
            return  # the login has succeeded; the upgrade can wait for a quieter login
        async with self._store.transaction() as conn:
            # Only if nobody changed the password meanwhile.
            await conn.execute(
                update(users)
                .where(users.c.id == user_id, users.c.password_hash == old_hash)
                .values(password_hash=new_hash)
            )
        _log.info("password hash upgraded to argon2id with the current parameters")

    async def _update(self, user_id: str, **values: Any) -> User:
        async with self._store.transaction() as conn:
            result = await conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(updated_at=self._clock(), **values)
                .returning(*users.c)
            )
            row = result.mappings().first()
        if row is None:
            raise UserNotFound()
        return user_from_row(row)


def _clean_name(name: str) -> str:
    cleaned = unicodedata.normalize("NFKC", name.strip()) if isinstance(name, str) else None
    if cleaned is None or len(cleaned) > _MAX_NAME_CHARS:
        raise InvalidProfile(f"the name must be text of at most {_MAX_NAME_CHARS} characters")
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") for char in cleaned):
        raise InvalidProfile("the name contains control characters")
    return cleaned


def _clean_tokens(values: Iterable[str], kind: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = values.split()
    cleaned = tuple(dict.fromkeys(values))  # de-duplicated, order kept
    if len(cleaned) > _MAX_TOKENS:
        raise InvalidProfile(f"at most {_MAX_TOKENS} {kind}s")
    for value in cleaned:
        if not isinstance(value, str) or not _TOKEN_CHARS.fullmatch(value):
            raise InvalidProfile(f"invalid {kind} {value!r}: use 1-64 printable ASCII characters")
    return cleaned
