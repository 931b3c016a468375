"""The ``jotauth`` command: one module per command group, each imported only when used.

``jotauth token decode`` therefore never pays for FastAPI and SQLAlchemy. A group whose module
needs an extra that is not installed (``pip install jotauth`` has no server) still shows in
``--help`` and answers in one line which extra to install (:mod:`jotauth.extras`); so does a
command that meets a missing driver while it runs (``asyncpg`` for a PostgreSQL URL). ``jotauth
demo`` is the demo's own command where the demo package (``examples/jotauth_demo`` of a clone)
is on the path, and a one-line pointer to it everywhere else.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any, NoReturn

import click

from jotauth.extras import MissingExtra, as_missing_extra

# name -> the "module:attribute" of a click command or group, tried in order.
_SUBCOMMANDS: dict[str, tuple[str, ...]] = {
    "clients": ("jotauth.cli.clients:clients",),
    "demo": ("jotauth_demo.command:demo", "jotauth.cli.demo:demo"),
    "doctor": ("jotauth.cli.doctor:doctor",),
    "keys": ("jotauth.cli.keys:keys",),
    "providers": ("jotauth.cli.providers:providers",),
    "serve": ("jotauth.cli.serve:serve",),
    "sessions": ("jotauth.cli.sessions:sessions",),
    "token": ("jotauth.cli.token:token",),
    "users": ("jotauth.cli.users:users",),
}


def _needs_extra(name: str, missing: MissingExtra) -> click.Command:
    """A stand-in for command ``name``, whose module needs an extra that is not installed:
    listed in ``--help``, and any use (``--help`` included) is the one-line error."""

    def refuse() -> NoReturn:
        raise click.ClickException(str(missing))

    return click.Command(
        name,
        callback=refuse,
        short_help=f"(needs: pip install 'jotauth[{missing.extra}]')",
        add_help_option=False,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )


def _load(name: str, target: str) -> click.Command | None:
    module_name, attribute = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None  # that part is not in this build (the demo outside a clone)
        missing = as_missing_extra(exc, needed_by=f"jotauth {name}")
        if missing is None:
            raise
        return _needs_extra(name, missing)
    command = getattr(module, attribute, None)
    return command if isinstance(command, click.Command) else None


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        for target in _SUBCOMMANDS.get(cmd_name, ()):
            command = _load(cmd_name, target)
            if command is not None:
                return command
        return None

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a module of a missing extra met on the way is one line."""
        try:
            return super().invoke(ctx)
        except ModuleNotFoundError as exc:
            command = ctx.invoked_subcommand or "this command"
            missing = as_missing_extra(exc, needed_by=f"jotauth {command}")
            if missing is None:
                raise
            raise click.ClickException(str(missing)) from None


@click.group(cls=_LazyGroup)
@click.version_option(package_name="jotauth")
@click.option("-v", "--verbose", is_flag=True, help="Log debug information to stderr.")
def main(verbose: bool) -> None:
    """jotauth: JWT authentication for single-page apps and their APIs."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)
