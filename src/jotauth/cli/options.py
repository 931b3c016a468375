"""What several commands share: the ``--config`` option and the settings it loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from jotauth.settings import Settings

config_option = click.option(
    "--config",
    "config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="TOML settings file (default: ./jotauth.toml when present).",
)


def load_settings(config: Path | None, **overrides: Any) -> Settings:
    """Settings from arguments, ``JOTAUTH_*`` variables and the TOML file, in that order."""
    values = {name: value for name, value in overrides.items() if value is not None}
    if config is None:
        return Settings(**values)

    class FileSettings(Settings):
        model_config = {**Settings.model_config, "toml_file": str(config)}

    return FileSettings(**values)
