"""``jotauth demo``: start the demo on one origin and print how to sign in."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Sequence
from pathlib import Path

import click

from jotauth.settings import Settings
from jotauth_demo.accounts import DEMO_ACCOUNTS, DemoAccount, ensure_demo_accounts
from jotauth_demo.app import DemoError, create_demo_app
from jotauth_demo.oidc_spa_client import ensure_spa_client
from jotauth_demo.settings import demo_settings

# The demo is repository code (never in the wheel), so it may find the Angular build in the
# clone it lives in.
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_APP_DIR = REPO_ROOT / "clients" / "demo" / "dist" / "demo" / "browser"
DEFAULT_DATA_DIR = Path(".jotauth-demo")


def _print_banner(
    settings: Settings, accounts: Sequence[DemoAccount], app_dir: Path, spa: str | None
) -> None:
    url = f"http://{settings.host}:{settings.port}"
    click.secho("jotauth demo", bold=True)
    click.echo(f"  open        {url}/")
    click.echo(f"  hosted page {url}/login")
    click.echo(f"  AngularJS   {url}/legacy/")
    if spa is not None:
        click.echo(f"  OIDC SPA    {spa}  (another origin: code + PKCE through {url})")
    click.echo(f"  body tokens {url}/?delivery=body  (cookies are the default)")
    if settings.host[:1].isdigit():
        # WebAuthn takes no IP address as relying party: the passkey pages need a host name.
        click.echo("  passkeys    run with --host localhost (WebAuthn needs a name, not an IP)")
    click.echo(f"  database    {settings.database_url}")
    for account in accounts:
        roles = ", ".join(account.roles) or "no roles"
        click.echo(f"  sign in as  {account.email} / {account.password}  ({roles})")
    if not (app_dir / "index.html").is_file():
        click.secho(f"  the Angular app is not built ({app_dir}); run scripts/demo.sh", fg="yellow")
    click.secho(
        "  DEVELOPMENT MODE: plain HTTP, cookies without Secure. Local use only.",
        fg="red",
        bold=True,
    )


def _start_second_app(settings: Settings, spa_port: int) -> str:
    """Register the example SPA as a public client and serve it on ``spa_port``; its URL."""
    from oidc_spa import SpaConfig, ensure_library, start_spa

    origin = f"http://{settings.host}:{spa_port}"
    try:
        ensure_library()
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        raise DemoError(f"cannot install oidc-client-ts for the example SPA: {error}") from error
    client_id = asyncio.run(ensure_spa_client(settings, origin))
    try:
        start_spa(
            settings.host, spa_port, SpaConfig(authority=settings.issuer, client_id=client_id)
        )
    except OSError as error:
        raise DemoError(
            f"cannot serve the example SPA on {origin} ({error}); --spa-port"
        ) from error
    return f"{origin}/"


@click.command(name="demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DATA_DIR,
    show_default=True,
    help="Where the SQLite database and the secret key live.",
)
@click.option(
    "--app-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_APP_DIR,
    help="The built Angular demo (clients/demo/dist/demo/browser).",
)
@click.option(
    "--lessons-api",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A Python file whose create_app(settings) builds the lessons API "
    "(default: examples/lessons_api.py).",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="warning",
    show_default=True,
    help="The demo is quiet so its banner stays readable; 'info' logs every request.",
)
@click.option(
    "--spa-port",
    type=click.IntRange(0, 65535),
    default=8001,
    show_default=True,
    help="Port of the second app (examples/oidc_spa, signing in with OpenID Connect); 0: none.",
)
def demo(
    host: str,
    port: int,
    data_dir: Path,
    app_dir: Path,
    lessons_api: Path | None,
    log_level: str,
    spa_port: int,
) -> None:
    """Run the auth server, the lessons API and the Angular demo on one origin, and the
    example OpenID Connect SPA on a second one."""
    import uvicorn

    from jotauth.server.jsonlog import configure_json_logging

    settings = demo_settings(data_dir=data_dir, host=host, port=port, log_level=log_level)
    configure_json_logging(settings.log_level)
    try:
        asyncio.run(ensure_demo_accounts(settings, DEMO_ACCOUNTS))
        spa = _start_second_app(settings, spa_port) if spa_port else None
        app = create_demo_app(
            settings,
            app_dir=app_dir,
            lessons_api_file=lessons_api,
            # Once everything is up, so the accounts are the last thing on the screen.
            on_started=lambda: _print_banner(settings, DEMO_ACCOUNTS, app_dir, spa),
        )
    except DemoError as error:
        raise click.ClickException(str(error)) from error
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,  # the JSON logging configured above
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )
