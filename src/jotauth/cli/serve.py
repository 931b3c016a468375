"""``jotauth serve``: run the auth server.

Only click and the settings are imported up front, so ``jotauth --help`` loads this module even
where the server extras are not installed; uvicorn and the server are imported on use.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import click

from jotauth.cli.options import load_settings, settings_options

if TYPE_CHECKING:
    from jotauth.settings import Settings


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
@click.option("--host", default=None, help="Interface to bind (default from settings).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port to bind.")
@click.option(
    "--forwarded-allow-ips",
    default=None,
    help="Comma-separated proxy addresses whose X-Forwarded-For is trusted (behind a load "
    "balancer, so login throttling and sessions see the client's address).",
)
@settings_options
def serve(host: str | None, port: int | None, forwarded_allow_ips: str | None) -> None:
    """Run the auth server (uvicorn); --dev: plain-HTTP local development, no Secure cookies."""
    import uvicorn

    from jotauth.server.app import create_app
    from jotauth.server.http_limits import bounded_http_protocol
    from jotauth.server.jsonlog import configure_json_logging
    from jotauth.settings import StartupRefused

    settings = _issuer_follows_address(load_settings(host=host, port=port))
    configure_json_logging(settings.log_level)
    try:
        app = create_app(settings)
    except StartupRefused as error:
        raise click.ClickException(f"refusing to start: {error}") from error
    # What is loaded by now (modules, routes, models, table metadata) lives as long as the
    # process: out of the cyclic collector's sight, a full collection no longer walks it. One
    # took 53 ms of the SQLite writer thread mid-purge, holding the write lock (issue 15);
    # frozen, the longest purge transaction took 6 ms of CPU. Here, once per process, not in
    # the app's lifespan: a process starting many apps (the tests) would freeze their garbage.
    gc.collect()
    gc.freeze()
    if settings.dev:
        click.secho(
            "jotauth: DEVELOPMENT MODE — auth cookies are sent WITHOUT Secure and WITHOUT the "
            "__Host- prefix, over plain HTTP. Never expose this server.",
            fg="red",
            bold=True,
            err=True,
        )
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        http=bounded_http_protocol(
            max_header_bytes=settings.max_request_header_bytes,
            max_headers=settings.max_request_headers,
        ),
        log_config=None,  # our JSON logging, configured above
        access_log=False,  # RequestMetrics logs requests without query strings
        server_header=False,
        # X-Forwarded-For is trusted only from the named proxies: anyone else could pick the
        # address the per-IP login throttle counts.
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips or "",
    )
