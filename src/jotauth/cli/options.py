"""What several commands share: the ``--config`` option and the settings it loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from jotauth.settings import Settings

config_option = click.option(
    "--config",
    "config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="TOML settings file (default: ./jotauth.toml when present).",
)


def load_settings(config: Path | None, **overrides: Any) -> Settings:
    """Settings from arguments, ``JOTAUTH_*`` variables and the TOML file, in that order.

    Invalid settings are one line per setting (a ``click.ClickException``, exit 1), never a
    pydantic traceback: ``invalid setting access_token_ttl (JOTAUTH_ACCESS_TOKEN_TTL): …``.
    """
    values = {name: value for name, value in overrides.items() if value is not None}
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
