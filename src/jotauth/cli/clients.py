"""``jotauth clients add|list|remove``: the provider's registered OAuth clients (DESIGN §11)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click

from jotauth.cli.admin import run_with_services
from jotauth.cli.options import settings_options
from jotauth.oauth.clients import ClientRegistry, ClientType, OAuthClient

if TYPE_CHECKING:
    from jotauth.composition import Services

T = TypeVar("T")


def _run(action: Callable[[ClientRegistry], Awaitable[T]]) -> T:
    """Run ``action`` on the client registry of the store the settings name."""

    async def on_registry(services: Services) -> T:
        return await action(services.oauth_clients)

    return run_with_services(on_registry)


def _public_view(client: OAuthClient) -> dict[str, object]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "type": client.client_type,
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "scopes": list(client.scopes),
        "first_party": client.first_party,
        "id_token_signed_response_alg": client.id_token_signed_response_alg,
    }


@click.group()
def clients() -> None:
    """Manage the OAuth / OpenID Connect clients of the provider."""


@clients.command("add")
@settings_options
@click.argument("name")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True, help="Exact URI.")
@click.option(
    "--public/--confidential",
    "public",
    default=False,
    help="A public client (SPA, native app) has no secret; confidential is the default.",
)
@click.option("--post-logout-redirect-uri", "post_logout", multiple=True, help="Exact URI.")
@click.option("--scope", "scopes", multiple=True, help="An API scope it may ask for.")
@click.option("--first-party", is_flag=True, help="The operator's own app: no consent page.")
@click.option(
    "--id-token-alg",
    "id_token_alg",
    default="RS256",
    show_default=True,
    help="How its ID tokens are signed: RS256, or the access tokens' JOTAUTH_ALGORITHM.",
)
def add(
    name: str,
    redirect_uris: tuple[str, ...],
    public: bool,
    post_logout: tuple[str, ...],
    scopes: tuple[str, ...],
    first_party: bool,
    id_token_alg: str,
) -> None:
    """Register a client; prints its id and (confidential only, shown once) its secret."""
    client_type: ClientType = "public" if public else "confidential"

    async def action(registry: ClientRegistry) -> dict[str, str | None]:
        try:
            registered = await registry.add(
                name,
                redirect_uris=redirect_uris,
                client_type=client_type,
                post_logout_redirect_uris=post_logout,
                scopes=scopes,
                first_party=first_party,
                id_token_signed_response_alg=id_token_alg,
            )
        except ValueError as error:
            raise click.UsageError(str(error)) from error
        body: dict[str, str | None] = {"client_id": registered.client.client_id}
        if registered.client_secret is not None:
            body["client_secret"] = registered.client_secret
        return body

    click.echo(json.dumps(_run(action)))


@clients.command("list")
@settings_options
def list_clients() -> None:
    """One JSON object per registered client (never a secret)."""
    for client in _run(lambda registry: registry.list()):
        click.echo(json.dumps(_public_view(client)))


@clients.command("remove")
@settings_options
@click.argument("client_id")
def remove(client_id: str) -> None:
    """Delete a client (its codes and grants can no longer be used, its consents are gone)."""
    if not _run(lambda registry: registry.remove(client_id)):
        raise click.ClickException(f"no client with the id {client_id!r}")
    click.echo(f"removed client {client_id}")
