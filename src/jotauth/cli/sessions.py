"""``jotauth sessions list|revoke``: see and end sessions from the command line."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from jotauth.cli.admin import run_with_services, user_by_email
from jotauth.cli.options import settings_options

if TYPE_CHECKING:
    from jotauth.composition import Services
    from jotauth.sessions.models import SessionInfo


@click.group()
def sessions() -> None:
    """List and revoke login sessions."""


@sessions.command("list")
@settings_options
@click.option("--user", "email", default=None, help="Only this user's sessions (email).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_sessions(email: str | None, as_json: bool) -> None:
    """List active sessions, most recently used first."""

    async def action(services: Services) -> list[tuple[str, SessionInfo]]:
        if email is not None:
            owners = [await user_by_email(services, email)]
        else:
            owners = await services.users.list_users()
        found: list[tuple[str, SessionInfo]] = []
        for owner in owners:
            found.extend((owner.email, s) for s in await services.sessions.list_sessions(owner.id))
        return found

    for owner_email, session in run_with_services(action):
        if as_json:
            click.echo(json.dumps({"email": owner_email, **asdict(session)}))
        else:
            last_used = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(session.last_used_at))
            click.echo(
                f"{session.id}  {owner_email}  last used {last_used}Z  "
                f"{session.ip or '-'}  {session.user_agent[:60]}"
            )


@sessions.command("revoke")
@settings_options
@click.argument("session_id")
def revoke(session_id: str) -> None:
    """End one session; its next refresh gets 401."""

    async def action(services: Services) -> bool:
        return await services.administration.end_session(session_id)

    if not run_with_services(action):
        raise click.ClickException(f"no active session {session_id!r}")
    click.echo(f"revoked session {session_id}")
