"""``jotauth keys generate|list|rotate|revoke``: signing keys, offline and in the store.

``generate`` works offline (no store, no settings); ``list``, ``rotate`` and ``revoke`` open the
store through :func:`jotauth.cli.admin.run_with_services`, imported on use.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from jotauth.cli.admin import run_with_services
from jotauth.cli.options import settings_options
from jotauth.jose import ALGORITHMS
from jotauth.keys.pem import generate_signing_key, save_private_pem
from jotauth.keys.x509 import with_x5c

if TYPE_CHECKING:
    from jotauth.composition import Services
    from jotauth.keys import RotationResult, SigningKeys


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


def _keys(services: Services) -> SigningKeys:
    return services.require_signing().keys


def _when(value: float | None) -> str:
    if value is None:
        return "-"
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@settings_options
def list_keys(as_json: bool) -> None:
    """Every signing key and its state (next, current, retired, revoked)."""

    async def action(services: Services) -> list[dict[str, Any]]:
        signing_keys = _keys(services)
        await signing_keys.load()
        return [
            {
                "kid": k.kid,
                "alg": k.key.alg,
                "state": k.state.value,
                "created_at": k.created_at,
                "activated_at": k.activated_at,
                "retired_at": k.retired_at,
                "revoked_at": k.revoked_at,
                "not_after": k.not_after,
            }
            for k in signing_keys.managed_keys()
        ]

    rows = run_with_services(action, signing=True)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'KID':<44} {'ALG':<6} {'STATE':<8} {'CREATED':<21} {'ACTIVATED':<21} UNTIL")
    for row in rows:
        click.echo(
            f"{row['kid']:<44} {row['alg']:<6} {row['state']:<8} {_when(row['created_at']):<21} "
            f"{_when(row['activated_at']):<21} {_when(row['not_after'])}"
        )


def _report(result: RotationResult) -> None:
    messages = {
        "promoted": f"the next key {result.current_kid} now signs; new next key {result.next_kid}",
        "published_next": (
            f"published the next key {result.next_kid}; run 'jotauth keys rotate' again after "
            f"{_when(result.ready_at)} (one JWKS cache period) to make it sign"
        ),
        "waiting": (
            f"the next key {result.next_kid} has not been published for a full JWKS cache "
            f"period yet; it can sign after {_when(result.ready_at)} (or use --force)"
        ),
        "revoked": f"revoked; current key {result.current_kid}, next key {result.next_kid}",
    }
    click.echo(messages[result.outcome])


@keys.command("rotate")
@click.option(
    "--force",
    is_flag=True,
    help="Promote the next key now even if verifiers may not have fetched it yet.",
)
@settings_options
def rotate_keys(force: bool) -> None:
    """Planned rotation.

    If the pre-published next key has been in the JWKS for at least one cache period
    (jwks_max_age), it becomes the signing key, the old key is retired (published until
    its tokens expire) and a fresh next key is published. Otherwise nothing changes
    (exit status 2) unless --force; without any next key, one is published.
    """
    result = run_with_services(lambda services: _keys(services).rotate(force=force), signing=True)
    _report(result)
    if result.outcome == "waiting":
        sys.exit(2)


@keys.command("revoke")
@click.argument("kid")
@settings_options
def revoke_key(kid: str) -> None:
    """Remove KID from the JWKS at once (compromise). A revoked current key is replaced.

    A kid is a base64url thumbprint and may start with "-": write `keys revoke -- KID`."""
    result = run_with_services(lambda services: _keys(services).revoke(kid), signing=True)
    click.echo(f"revoked {kid}; current key {result.current_kid}, next key {result.next_kid}")
