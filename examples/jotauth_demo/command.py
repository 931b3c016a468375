"""``jotauth demo``: start the demo on one origin and print how to sign in."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import click

from jotauth.settings import Settings
from jotauth_demo.accounts import DEMO_ACCOUNTS, DemoAccount, ensure_demo_accounts
from jotauth_demo.app import DemoError, create_demo_app
from jotauth_demo.settings import demo_settings

# The demo is repository code (never in the wheel), so it may find the Angular build in the
# clone it lives in.
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_APP_DIR = REPO_ROOT / "clients" / "demo" / "dist" / "demo" / "browser"
DEFAULT_DATA_DIR = Path(".jotauth-demo")


def _print_banner(settings: Settings, accounts: Sequence[DemoAccount], app_dir: Path) -> None:
    url = f"http://{settings.host}:{settings.port}"
    click.secho("jotauth demo", bold=True)
    click.echo(f"  open        {url}/")
    click.echo(f"  hosted page {url}/login")
    click.echo(f"  AngularJS   {url}/legacy/")
    click.echo(f"  body tokens {url}/?delivery=body  (cookies are the default)")
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
def demo(
    host: str,
    port: int,
    data_dir: Path,
    app_dir: Path,
    lessons_api: Path | None,
    log_level: str,
) -> None:
    """Run the auth server, the lessons API and the Angular demo on one origin."""
    import uvicorn

    from jotauth.server.jsonlog import configure_json_logging

    settings = demo_settings(data_dir=data_dir, host=host, port=port, log_level=log_level)
    configure_json_logging(settings.log_level)
    try:
        asyncio.run(ensure_demo_accounts(settings, DEMO_ACCOUNTS))
        app = create_demo_app(
            settings,
            app_dir=app_dir,
            lessons_api_file=lessons_api,
            # Once everything is up, so the accounts are the last thing on the screen.
            on_started=lambda: _print_banner(settings, DEMO_ACCOUNTS, app_dir),
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
