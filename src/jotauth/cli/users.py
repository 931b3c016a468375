"""``jotauth users add|list|disable|enable|set-roles``: account administration.

Passwords come from an interactive prompt or standard input, never from the command line
(argv is visible to every user of the machine through ``ps`` and lands in shell history).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from jotauth.cli.admin import run_with_services, user_by_email

if TYPE_CHECKING:
    from jotauth.composition import Services
    from jotauth.users.models import User


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
    user = run_with_services(
        lambda s: s.users.create_user(email, password, name=name, roles=roles, scope=scopes)
    )
    click.echo(f"created user {user.email} ({user.id})")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_users(as_json: bool) -> None:
    """List every user."""
    found = run_with_services(lambda s: s.users.list_users())
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

    async def action(services: Services) -> User:
        user = await user_by_email(services, email)
        return await services.administration.disable_user(user.id)

    user = run_with_services(action)
    click.echo(f"disabled {user.email}; all sessions ended")


@users.command("enable")
@click.argument("email")
def enable(email: str) -> None:
    """Allow a disabled user to log in again."""

    async def action(services: Services) -> User:
        return await services.users.enable_user((await user_by_email(services, email)).id)

    click.echo(f"enabled {run_with_services(action).email}")


@users.command("set-roles")
@click.argument("email")
@click.argument("roles", nargs=-1)
def set_roles(email: str, roles: tuple[str, ...]) -> None:
    """Replace a user's roles (none given: remove all). Tokens carry them from the next refresh."""

    async def action(services: Services) -> User:
        return await services.users.set_roles((await user_by_email(services, email)).id, roles)

    user = run_with_services(action)
    click.echo(f"{user.email}: roles={','.join(user.roles) or '-'}")
