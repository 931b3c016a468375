"""The demo's second app: the example SPA of ``examples/oidc_spa`` on another origin,
registered as a public third-party client of the demo's auth server."""

from __future__ import annotations

from jotauth.composition import open_services
from jotauth.settings import Settings

# A fixed id, so a restarted demo (same data directory) finds its registration again.
SPA_CLIENT_ID = "demo-oidc-spa"
SPA_CLIENT_NAME = "Example SPA (second origin)"


async def ensure_spa_client(settings: Settings, spa_origin: str) -> str:
    """Register the SPA at ``spa_origin`` (again, when its origin changed); its client id."""
    redirect_uris = (f"{spa_origin}/callback",)
    post_logout = (f"{spa_origin}/signed-out",)
    async with open_services(settings, signing=False) as services:
        registry = services.oauth_clients
        known = await registry.get(SPA_CLIENT_ID)
        if known is not None and (
            known.redirect_uris == redirect_uris and known.post_logout_redirect_uris == post_logout
        ):
            return SPA_CLIENT_ID
        if known is not None:
            await registry.remove(SPA_CLIENT_ID)
        await registry.add(
            SPA_CLIENT_NAME,
            client_id=SPA_CLIENT_ID,
            client_type="public",
            redirect_uris=redirect_uris,
            post_logout_redirect_uris=post_logout,
        )
    return SPA_CLIENT_ID
