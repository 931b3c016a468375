"""The ``jotauth`` command.

Subcommands live beside the layer they drive and are imported only when used, so
``jotauth token decode`` does not pay for FastAPI and SQLAlchemy.
"""

from __future__ import annotations

import importlib
import logging

import click

# name -> "module:attribute" of a click command or group.
_SUBCOMMANDS = {
    "token": "jotauth.verify.cli:token",
    "keys": "jotauth.keys.cli:keys",
    "serve": "jotauth.server.cli:serve",
    "users": "jotauth.users.cli:users",
    "sessions": "jotauth.sessions.cli:sessions",
    "demo": "jotauth.demo:demo",
    "clients": "jotauth.oauth.cli:clients",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                return None  # that part is not installed in this build
            raise
        command = getattr(module, attribute, None)
        if cmd_name == "keys":  # the auth server adds list/rotate/revoke (jotauth.server.cli)
            importlib.import_module("jotauth.server.cli")
        return command if isinstance(command, click.Command) else None


@click.group(cls=_LazyGroup)
@click.version_option(package_name="jotauth")
@click.option("-v", "--verbose", is_flag=True, help="Log debug information to stderr.")
def main(verbose: bool) -> None:
    """jotauth: JWT authentication for single-page apps and their APIs."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)
