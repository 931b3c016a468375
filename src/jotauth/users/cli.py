"""``jotauth users add|list|disable|enable|set-roles``: account administration.

Passwords come from an interactive prompt or standard input, never from the command line
(argv is visible to every user of the machine through ``ps`` and lands in shell history).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import TypeVar

import click
from pydantic import ValidationError

from jotauth.accounts import Administration
from jotauth.sessions import SessionPolicy, SessionService
from jotauth.settings import Settings
from jotauth.store import AuditLog, Store, StoreError, open_store
from jotauth.throttle import InMemoryLoginThrottle
from jotauth.users.errors import UserError
from jotauth.users.models import User
from jotauth.users.passwords import PasswordHasher
from jotauth.users.service import UserService

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AdminServices:
    """What the admin commands work with, opened from one Settings object."""

    store: Store
    users: UserService
    sessions: SessionService
    administration: Administration


@asynccontextmanager
async def open_admin_services(settings: Settings) -> AsyncIterator[AdminServices]:
    """Open the store (migrating it) and the services on it; close everything afterwards."""
    store = await open_store(settings)
    hasher = PasswordHasher(settings)
    audit = AuditLog(store)
    sessions = SessionService(
        store,
        SessionPolicy.from_settings(settings),
        audit=audit,
        # The CLI never rotates refresh tokens, so it never opens a sealed successor.
        secret=secrets.token_bytes(32),
    )
    # The CLI never authenticates, so it never needs the shared (Redis) throttle.
    users = UserService(
        store,
        hasher,
        throttle=InMemoryLoginThrottle(settings),
        audit=audit,
        min_password_length=settings.password_min_length,
    )
    try:
        yield AdminServices(
            store=store,
            users=users,
            sessions=sessions,
            administration=Administration(users=users, sessions=sessions),
        )
    finally:
        hasher.close()
        await store.close()


def run_admin(action: Callable[[AdminServices], Awaitable[T]]) -> T:
    """Build Settings, run ``action`` with the services, turn layer errors into CLI errors."""
    try:
        settings = Settings()
    except ValidationError as error:
        raise click.ClickException(f"invalid settings: {error}") from error

    async def main() -> T:
        async with open_admin_services(settings) as services:
            return await action(services)

    try:
        return asyncio.run(main())
    except (UserError, StoreError) as error:
        raise click.ClickException(f"{error.detail} ({error.code})") from error


async def _user_by_email(services: AdminServices, email: str) -> User:
    user = await services.users.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with the email address {email!r}")
    return user


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@click.group()
def users() -> None:
    """Manage user accounts."""


@users.command("add")
@click.argument("email")
@click.option("--name", default="", help="Display name.")
@click.option("--role", "roles", multiple=True, help="A role (repeatable).")
@click.option("--scope", "scopes", multiple=True, help="A scope value (repeatable).")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
def add(
    email: str, name: str, roles: tuple[str, ...], scopes: tuple[str, ...], password_stdin: bool
) -> None:
    """Create a user; the password is prompted for (or read from stdin)."""
    password = _read_password(password_stdin)
    user = run_admin(
        lambda s: s.users.create_user(email, password, name=name, roles=roles, scope=scopes)
    )
    click.echo(f"created user {user.email} ({user.id})")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_users(as_json: bool) -> None:
    """List every user."""
    found = run_admin(lambda s: s.users.list_users())
    for user in found:
        if as_json:
            click.echo(json.dumps(asdict(user)))
        else:
            state = "disabled" if user.disabled else "active"
            roles = ",".join(user.roles) or "-"
            click.echo(f"{user.id}  {user.email}  {state}  roles={roles}  {user.name}")


@users.command("disable")
@click.argument("email")
def disable(email: str) -> None:
    """Disable a user and end all of their sessions."""

    async def action(services: AdminServices) -> User:
        user = await _user_by_email(services, email)
        return await services.administration.disable_user(user.id)

    user = run_admin(action)
    click.echo(f"disabled {user.email}; all sessions ended")


@users.command("enable")
@click.argument("email")
def enable(email: str) -> None:
    """Allow a disabled user to log in again."""

    async def action(services: AdminServices) -> User:
        return await services.users.enable_user((await _user_by_email(services, email)).id)

    click.echo(f"enabled {run_admin(action).email}")


@users.command("set-roles")
@click.argument("email")
@click.argument("roles", nargs=-1)
def set_roles(email: str, roles: tuple[str, ...]) -> None:
    """Replace a user's roles (none given: remove all). Tokens carry them from the next refresh."""

    async def action(services: AdminServices) -> User:
        return await services.users.set_roles((await _user_by_email(services, email)).id, roles)

    user = run_admin(action)
    click.echo(f"{user.email}: roles={','.join(user.roles) or '-'}")
