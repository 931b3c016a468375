"""``jotauth serve`` and ``jotauth keys list|rotate|revoke``.

``serve`` is a subcommand of the main ``jotauth`` group (:mod:`jotauth.cli`); importing this
module adds ``list``, ``rotate`` and ``revoke`` to the offline ``jotauth keys`` group of
:mod:`jotauth.keys.cli`. Only click and the settings are imported up front, so the module
loads even where the server extras are not installed; the rest is imported on use.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from jotauth.keys.cli import register
from jotauth.settings import Settings

if TYPE_CHECKING:
    from jotauth.server.signing_keys import RotationResult, SigningKeys

T = TypeVar("T")

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


def _issuer_follows_address(settings: Settings) -> Settings:
    """Without a configured issuer or public URL, the issuer is the address being served.

    The login CSRF check compares ``Origin`` with the issuer's origin, so a server started
    with ``--port 9000`` must not keep the default ``http://127.0.0.1:8000``.
    """
    if {"issuer", "public_url"} & settings.model_fields_set:
        return settings
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host  # noqa: S104
    if ":" in host:
        host = f"[{host}]"
    return settings.model_copy(update={"issuer": f"http://{host}:{settings.port}"})


@click.command()
@click.option("--dev", is_flag=True, help="Plain-HTTP local development: no Secure cookies.")
@click.option("--host", default=None, help="Interface to bind (default from settings).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port to bind.")
@click.option(
    "--forwarded-allow-ips",
    default=None,
    help="Comma-separated proxy addresses whose X-Forwarded-For is trusted (behind a load "
    "balancer, so login throttling and sessions see the client's address).",
)
@config_option
def serve(
    dev: bool,
    host: str | None,
    port: int | None,
    forwarded_allow_ips: str | None,
    config: Path | None,
) -> None:
    """Run the auth server (uvicorn)."""
    import uvicorn

    from jotauth.server.app import create_app
    from jotauth.server.jsonlog import configure_json_logging
    from jotauth.server.startup import StartupRefused

    settings = _issuer_follows_address(
        load_settings(config, dev=True if dev else None, host=host, port=port)
    )
    configure_json_logging(settings.log_level)
    if settings.dev:
        click.secho(
            "jotauth: DEVELOPMENT MODE — auth cookies are sent WITHOUT Secure and WITHOUT the "
            "__Host- prefix, over plain HTTP. Never expose this server.",
            fg="red",
            bold=True,
            err=True,
        )
    try:
        app = create_app(settings)
    except StartupRefused as error:
        raise click.ClickException(f"refusing to start: {error}") from error
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # our JSON logging, configured above
        access_log=False,  # RequestMetrics logs requests without query strings
        server_header=False,
        # X-Forwarded-For is trusted only from the named proxies: anyone else could pick the
        # address the per-IP login throttle counts.
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips or "",
    )


def _run_with_keys(config: Path | None, action: Callable[[SigningKeys], Awaitable[T]]) -> T:
    from jotauth.server.signing_keys import SigningKeys, SigningKeysError
    from jotauth.server.startup import StartupRefused, server_secret
    from jotauth.store import AuditLog, KeyRepository, StoreError, open_store

    settings = load_settings(config)

    async def run() -> T:
        try:
            secret = server_secret(settings)
        except StartupRefused as error:
            raise click.ClickException(str(error)) from error
        store = await open_store(settings)
        try:
            signing_keys = SigningKeys(
                settings,
                KeyRepository(store, secret_key=secret),
                clock=_now,
                audit=AuditLog(store),
            )
            return await action(signing_keys)
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except (SigningKeysError, StoreError) as error:
        raise click.ClickException(str(error)) from error


def _now() -> float:
    import time

    return time.time()


def _when(value: float | None) -> str:
    if value is None:
        return "-"
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@config_option
def list_keys(as_json: bool, config: Path | None) -> None:
    """Every signing key and its state (next, current, retired, revoked)."""

    async def action(signing_keys: SigningKeys) -> list[dict[str, Any]]:
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

    rows = _run_with_keys(config, action)
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


@click.command("rotate")
@click.option(
    "--force",
    is_flag=True,
    help="Promote the next key now even if verifiers may not have fetched it yet.",
)
@config_option
def rotate_keys(force: bool, config: Path | None) -> None:
    """Planned rotation.

    If the pre-published next key has been in the JWKS for at least one cache period
    (jwks_max_age), it becomes the signing key, the old key is retired (published until
    its tokens expire) and a fresh next key is published. Otherwise nothing changes
    (exit status 2) unless --force; without any next key, one is published.
    """
    result = _run_with_keys(config, lambda signing_keys: signing_keys.rotate(force=force))
    _report(result)
    if result.outcome == "waiting":
        sys.exit(2)


@click.command("revoke")
@click.argument("kid")
@config_option
def revoke_key(kid: str, config: Path | None) -> None:
    """Remove KID from the JWKS at once (compromise). A revoked current key is replaced."""
    result = _run_with_keys(config, lambda signing_keys: signing_keys.revoke(kid))
    click.echo(f"revoked {kid}; current key {result.current_kid}, next key {result.next_kid}")


for _command in (list_keys, rotate_keys, revoke_key):
    register(_command)
