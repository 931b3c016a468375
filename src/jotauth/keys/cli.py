"""``jotauth keys``: offline key generation (the server adds list/rotate/revoke)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..jose import ALGORITHMS
from .pem import generate_signing_key, save_private_pem
from .x509 import with_x5c


@click.group()
def keys() -> None:
    """Signing keys."""


@keys.command()
@click.option("--alg", type=click.Choice(ALGORITHMS), default="RS256", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the private PEM here (mode 0600); without it, print the private JWK.",
)
@click.option("--kid", help="Key id (default: the RFC 7638 thumbprint).")
def generate(alg: str, out: Path | None, kid: str | None) -> None:
    """Generate a signing key for ALG and print its public JWK."""
    key = with_x5c(generate_signing_key(alg, kid=kid))  # type: ignore[arg-type]
    if out is not None:
        if alg == "HS256":
            raise click.UsageError("HS256 secrets have no PEM form; omit --out")
        try:
            save_private_pem(key, out)
        except FileExistsError as exc:
            raise click.ClickException(f"{out} exists; refusing to overwrite a key") from exc
        click.echo(json.dumps(key.public_jwk(), indent=2))
        click.echo(f"private key written to {out}", err=True)
    else:
        click.echo(json.dumps(key.private_jwk(), indent=2))


def register(command: click.Command) -> None:
    """Add a subcommand (the server adds ``list``, ``rotate`` and ``revoke``)."""
    keys.add_command(command)
