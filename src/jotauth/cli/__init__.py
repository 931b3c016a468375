"""The ``jotauth`` command: one module per command group, each imported only when used.

``jotauth token decode`` therefore never pays for FastAPI and SQLAlchemy. A group whose module
(or one of its dependencies) is not installed is skipped, or replaced by the next candidate:
``jotauth demo`` is the demo's own command where the demo package (``examples/jotauth_demo``
of a clone) is on the path, and a one-line pointer to it everywhere else.
"""

from __future__ import annotations

import importlib
import logging

import click

# name -> the "module:attribute" of a click command or group, tried in order.
_SUBCOMMANDS: dict[str, tuple[str, ...]] = {
    "clients": ("jotauth.cli.clients:clients",),
    "demo": ("jotauth_demo.command:demo", "jotauth.cli.demo:demo"),
    "keys": ("jotauth.cli.keys:keys",),
    "providers": ("jotauth.cli.providers:providers",),
    "serve": ("jotauth.cli.serve:serve",),
    "sessions": ("jotauth.cli.sessions:sessions",),
    "token": ("jotauth.cli.token:token",),
    "users": ("jotauth.cli.users:users",),
}


def _load(target: str) -> click.Command | None:
    module_name, attribute = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None  # that part is not installed in this build
        raise
    command = getattr(module, attribute, None)
    return command if isinstance(command, click.Command) else None


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        for target in _SUBCOMMANDS.get(cmd_name, ()):
            command = _load(target)
            if command is not None:
                return command
        return None


@click.group(cls=_LazyGroup)
@click.version_option(package_name="jotauth")
@click.option("-v", "--verbose", is_flag=True, help="Log debug information to stderr.")
def main(verbose: bool) -> None:
    """jotauth: JWT authentication for single-page apps and their APIs."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)
