"""``jotauth users add|list|disable|enable|set-roles|reset-mfa|import``: account administration.

Passwords come from an interactive prompt or standard input, never from the command line
(argv is visible to every user of the machine through ``ps`` and lands in shell history).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from jotauth.cli.admin import run_with_services, user_by_email
from jotauth.cli.options import settings_options

if TYPE_CHECKING:
    from jotauth.composition import Services
    from jotauth.users.importing import ImportReport
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
@settings_options
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
@settings_options
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
@settings_options
@click.argument("email")
def disable(email: str) -> None:
    """Disable a user and end all of their sessions."""

    async def action(services: Services) -> User:
        user = await user_by_email(services, email)
        return await services.administration.disable_user(user.id)

    user = run_with_services(action)
    click.echo(f"disabled {user.email}; all sessions ended")


@users.command("enable")
@settings_options
@click.argument("email")
def enable(email: str) -> None:
    """Allow a disabled user to log in again."""

    async def action(services: Services) -> User:
        return await services.users.enable_user((await user_by_email(services, email)).id)

    click.echo(f"enabled {run_with_services(action).email}")


@users.command("set-roles")
@settings_options
@click.argument("email")
@click.argument("roles", nargs=-1)
def set_roles(email: str, roles: tuple[str, ...]) -> None:
    """Replace a user's roles (none given: remove all). Tokens carry them from the next refresh."""

    async def action(services: Services) -> User:
        return await services.users.set_roles((await user_by_email(services, email)).id, roles)

    user = run_with_services(action)
    click.echo(f"{user.email}: roles={','.join(user.roles) or '-'}")


@users.command("reset-mfa")
@settings_options
@click.argument("email")
def reset_mfa(email: str) -> None:
    """Remove every second factor of a user who lost theirs (authenticator app, recovery
    codes, and the other kinds the server has); audited. The next login asks for the
    password only (or for enrolment again, when the MFA policy requires a second factor)."""

    async def action(services: Services) -> tuple[str, tuple[str, ...]]:
        user = await user_by_email(services, email)
        return user.email, await services.administration.reset_second_factors(user.id)

    address, removed = run_with_services(action)
    what = ", ".join(removed) if removed else "nothing to remove"
    click.echo(f"{address}: second factors reset ({what})")


@users.command("import")
@settings_options
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every line and report; write nothing.")
def import_users(file: Path, dry_run: bool) -> None:
    """Create users from a JSON Lines file of {email, name?, roles?, password_hash}.

    Hashes from other systems (bcrypt, Django PBKDF2-SHA256, argon2i/argon2id, scrypt) are
    kept as they are and replaced by argon2id at each user's next login. Addresses that
    already have an account are skipped (never updated), so a re-run changes nothing; lines
    that cannot be imported are listed with their numbers, and the exit status is then 1.
    """
    from jotauth.users.importing import read_lines

    async def action(services: Services) -> ImportReport:
        with file.open("rb") as stream:
            return await services.users.import_users(read_lines(stream), dry_run=dry_run)

    report = run_with_services(action)
    for problem in report.problems:
        click.echo(f"line {problem.line}: {problem.code}: {problem.detail}", err=True)
    schemes = ", ".join(f"{name} {count:,}" for name, count in report.schemes().items())
    verb = "would import" if dry_run else "imported"
    created = len(report.created)
    summary = f"{verb} {created:,} user{'' if created == 1 else 's'}"
    summary += f" ({schemes})" if schemes else ""
    summary += f"; skipped {len(report.existing):,} already registered"
    summary += f"; refused {len(report.problems):,} lines"
    click.echo(summary + ("; dry run: nothing was written" if dry_run else ""))
    if report.problems:
        sys.exit(1)
