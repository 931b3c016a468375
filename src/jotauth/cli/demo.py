"""``jotauth demo`` where the demo is not on the path: it ships with the repository, not the wheel.

The demo serves the Angular app built from ``clients/``, so it only makes sense in a clone;
``make demo`` (``scripts/demo.sh``) puts ``examples/jotauth_demo`` on the path and this
placeholder gives way to the real command.
"""

from __future__ import annotations

import click

NOT_HERE = (
    "the demo runs from a clone of the repository: run `make demo` (or scripts/demo.sh) there"
)


@click.command(
    name="demo", context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
)
def demo() -> None:
    """Run the demo (from a clone of the repository: `make demo`)."""
    raise click.ClickException(NOT_HERE)
