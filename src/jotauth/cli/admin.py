"""How an admin command runs: settings loaded, services opened, layer errors made CLI errors.

Every command that touches the store (``users``, ``sessions``, ``keys list|rotate|revoke``)
goes through :func:`run_with_services`, so it opens its services from the one composition root
(:func:`jotauth.composition.open_services`). Heavy imports happen on use, so listing commands
(``jotauth --help``) stays fast.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from jotauth.cli.options import load_settings

if TYPE_CHECKING:
    from jotauth.composition import Services
    from jotauth.users.models import User

T = TypeVar("T")


def run_with_services(
    action: Callable[[Services], Awaitable[T]],
    *,
    config: Path | None = None,
    signing: bool = False,
) -> T:
    """Run ``action`` with the services (the signing keys too with ``signing``), opened from
    the command's settings (its ``--config`` and ``--dev``, see :mod:`jotauth.cli.options`)."""
    from jotauth.composition import open_services
    from jotauth.keys import SigningKeysError
    from jotauth.settings import StartupRefused
    from jotauth.store import StoreError
    from jotauth.users import UserError

    settings = load_settings(config)

    async def main() -> T:
        async with open_services(settings, signing=signing) as services:
            return await action(services)

    try:
        return asyncio.run(main())
    except (UserError, StoreError) as error:
        raise click.ClickException(f"{error.detail} ({error.code})") from error
    except StartupRefused as error:
        hint = ""
        if not settings.dev and "--dev" in str(error):
            # The friction of issue 16: a dev database, a command run without --dev.
            hint = " (a database made by 'jotauth serve --dev'? add --dev to this command)"
        raise click.ClickException(f"{error}{hint}") from error
    except SigningKeysError as error:
        raise click.ClickException(str(error)) from error


async def user_by_email(services: Services, email: str) -> User:
    """The user with this address, or a CLI error naming it."""
    user = await services.users.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with the email address {email!r}")
    return user
