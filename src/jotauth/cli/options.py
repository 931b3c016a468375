"""What several commands share: ``--config`` and ``--dev``, and the settings they load.

Every command that reads the settings (``serve``, ``doctor``, ``users``, ``sessions``,
``clients``, ``keys list|rotate|revoke``) takes both options through :func:`settings_options`,
so ``jotauth keys list --dev`` opens the database ``jotauth serve --dev`` made, as
``JOTAUTH_DEV=1`` does. The mode is always asked for, never remembered by the database: a
production database must never be opened with the public development secret because a file
says so.

pydantic and the settings are imported on use: ``jotauth --help`` and the offline commands
(``token``, ``keys generate``) run on the base install, without the server extra.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from pydantic import ValidationError

    from jotauth.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
_META_KEY = "jotauth.settings_options"


def _remember(ctx: click.Context, param: click.Parameter, value: object) -> object:
    ctx.meta.setdefault(_META_KEY, {})[param.name] = value
    return value


def settings_options(command: F) -> F:
    """Add ``--config FILE`` and ``--dev`` to a command; :func:`load_settings` reads them."""
    command = click.option(
        "--dev",
        is_flag=True,
        default=False,
        expose_value=False,
        callback=_remember,
        help="Development mode, as 'jotauth serve --dev' (same as JOTAUTH_DEV=1).",
    )(command)
    return click.option(
        "--config",
        "config",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        expose_value=False,
        callback=_remember,
        help="TOML settings file (default: ./jotauth.toml when present).",
    )(command)


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Settings from ``overrides`` (and the command's ``--dev``), ``JOTAUTH_*`` variables and
    the TOML file (``config``, else the command's ``--config``), in that order.

    Invalid settings are one line per setting (a ``click.ClickException``, exit 1), never a
    pydantic traceback: ``invalid setting access_token_ttl (JOTAUTH_ACCESS_TOKEN_TTL): …``.
    """
    from pydantic import ValidationError

    from jotauth.settings import Settings

    ctx = click.get_current_context(silent=True)
    chosen: dict[str, Any] = ctx.meta.get(_META_KEY, {}) if ctx is not None else {}
    if config is None:
        config = chosen.get("config")
    values = {name: value for name, value in overrides.items() if value is not None}
    if chosen.get("dev"):
        values["dev"] = True
    try:
        if config is None:
            return Settings(**values)

        class FileSettings(Settings):
            model_config = {**Settings.model_config, "toml_file": str(config)}

        return FileSettings(**values)
    except ValidationError as error:
        raise click.ClickException(_describe(error)) from None


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in item.get("loc", ())) or "settings"
        where = f" (JOTAUTH_{name.upper()})" if name != "settings" else ""
        problems.append(f"invalid setting {name}{where}: {item.get('msg', 'invalid')}")
    return "; ".join(problems) or "invalid settings"
