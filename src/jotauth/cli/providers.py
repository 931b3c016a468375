"""``jotauth providers add|list|remove``: upstream identity providers (DESIGN §14).

``add NAME --issuer URL`` configures an OpenID Connect provider from its discovery document;
``add NAME --authorize-url … --token-url … --userinfo-url … [--emails-url …]`` an OAuth 2
provider that is not OIDC (GitHub's shape). Each prints the redirect URI to register at the
provider. Client secrets are sealed with ``JOTAUTH_SECRET_KEY``, so these commands need it.
``--accept-mfa`` (OIDC only) lets the provider's ID token vouch for the second factor.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

import click

from jotauth.cli.admin import run_with_services

if TYPE_CHECKING:
    from jotauth.composition import Services
    from jotauth.federation import Federation

T = TypeVar("T")


def _run(action: Callable[[Federation], Awaitable[T]]) -> T:
    from jotauth.federation import FederationError

    async def on_federation(services: Services) -> T:
        return await action(services.require_federation())

    try:
        return run_with_services(on_federation, signing=True)
    except FederationError as error:
        raise click.ClickException(f"{error.detail} ({error.code})") from error


def _claims(values: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value in values:
        key, sep, path = value.partition("=")
        if not sep:
            raise click.UsageError(f"--claim {value!r}: use CLAIM=FIELD, e.g. sub=id")
        mapping[key.strip()] = path.strip()
    return mapping


@click.group()
def providers() -> None:
    """Manage the identity providers users may sign in with ("Continue with NAME")."""


@providers.command("add")
@click.argument("name")
@click.option("--issuer", help="OpenID Connect: the issuer URL (discovery); OAuth 2: its id.")
@click.option("--client-id", required=True, help="This server's client id at the provider.")
@click.option("--client-secret", required=True, help="Its client secret (sealed at rest).")
@click.option("--scope", "scopes", multiple=True, help="A scope to ask for (repeatable).")
@click.option(
    "--trust-email-domain",
    "trusted",
    multiple=True,
    help="Link existing accounts of this domain when the provider verified the address.",
)
@click.option("--authorize-url", help="OAuth 2 (not OIDC): the authorization endpoint.")
@click.option("--token-url", help="OAuth 2 (not OIDC): the token endpoint.")
@click.option("--userinfo-url", help="OAuth 2 (not OIDC): the user endpoint.")
@click.option("--emails-url", help="OAuth 2: an endpoint listing verified addresses (GitHub).")
@click.option(
    "--claim",
    "claims",
    multiple=True,
    help="Claim mapping CLAIM=FIELD for sub, email, email_verified, name (e.g. sub=id).",
)
@click.option(
    "--accept-mfa",
    is_flag=True,
    help="OpenID Connect: an ID token whose amr lists mfa needs no second step here.",
)
def add(
    name: str,
    issuer: str | None,
    client_id: str,
    client_secret: str,
    scopes: tuple[str, ...],
    trusted: tuple[str, ...],
    authorize_url: str | None,
    token_url: str | None,
    userinfo_url: str | None,
    emails_url: str | None,
    claims: tuple[str, ...],
    accept_mfa: bool,
) -> None:
    """Configure a provider; prints it as JSON with the redirect URI to register there."""
    import httpx

    from jotauth.federation import ProviderEndpoints, ProviderKind, discover

    explicit = authorize_url or token_url or userinfo_url or emails_url
    if not explicit and not issuer:
        raise click.UsageError("give --issuer (OpenID Connect) or the OAuth 2 endpoints")
    if explicit and not (authorize_url and token_url and userinfo_url):
        raise click.UsageError(
            "an OAuth 2 provider needs --authorize-url, --token-url and --userinfo-url"
        )
    mapping = _claims(claims)

    async def action(federation: Federation) -> dict[str, object]:
        kind: ProviderKind
        if explicit:
            assert authorize_url and token_url
            parts = urlsplit(authorize_url)
            kind = "oauth2"
            endpoints = ProviderEndpoints(
                issuer=issuer or f"{parts.scheme}://{parts.netloc}",
                authorize_url=authorize_url,
                token_url=token_url,
                userinfo_url=userinfo_url,
                emails_url=emails_url,
            )
        else:
            assert issuer
            kind = "oidc"
            async with httpx.AsyncClient(timeout=10) as http:
                endpoints = await discover(issuer, http=http)
        added = await federation.providers.add(
            name,
            kind=kind,
            endpoints=endpoints,
            client_id=client_id,
            client_secret=client_secret,
            scopes=scopes,
            trusted_email_domains=trusted,
            claims=mapping,
            accept_mfa=accept_mfa,
        )
        return {**added.public_view(), "redirect_uri": federation.callback_url(name)}

    click.echo(json.dumps(_run(action)))


@providers.command("list")
def list_providers() -> None:
    """One JSON object per provider (never a secret)."""

    async def action(federation: Federation) -> list[dict[str, object]]:
        return [
            {**provider.public_view(), "redirect_uri": federation.callback_url(provider.name)}
            for provider in await federation.providers.all()
        ]

    for view in _run(action):
        click.echo(json.dumps(view))


@providers.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Remove a provider (its linked identities stay: re-adding it signs them in again)."""

    async def action(federation: Federation) -> bool:
        return await federation.providers.remove(name)

    if not _run(action):
        raise click.ClickException(f"no provider called {name!r}")
    click.echo(f"removed provider {name}")
