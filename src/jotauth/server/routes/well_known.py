"""``/.well-known/jwks.json`` (DESIGN §4) and the provider metadata documents (DESIGN §11)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from jotauth.oauth import provider_metadata
from jotauth.server.context import Context, ServerContext

router = APIRouter(tags=["keys"])


@router.get(
    "/.well-known/jwks.json",
    summary="Public signing keys (JWKS)",
    response_description="RFC 7517 JWK Set",
)
def jwks(context: Context) -> Response:
    """The published keys: next, current and retired ones, never revoked ones."""
    body = json.dumps(context.keys.jwks(), separators=(",", ":")).encode()
    return Response(
        body,
        media_type="application/json",
        # Verifiers cache the key set this long; rotation pre-publishes keys for at
        # least this period so no verifier meets an unknown kid (DESIGN §4).
        headers={"Cache-Control": f"public, max-age={context.settings.jwks_max_age}"},
    )


@router.get(
    "/.well-known/openid-configuration",
    summary="Provider metadata (OpenID Connect Discovery 1.0)",
)
def openid_configuration(context: Context) -> dict[str, Any]:
    """What the provider implements, and nothing it does not (DESIGN §11)."""
    return _metadata(context)


@router.get(
    "/.well-known/oauth-authorization-server",
    summary="Authorization server metadata (RFC 8414)",
)
def oauth_authorization_server(context: Context) -> dict[str, Any]:
    """The same metadata at the RFC 8414 well-known URI."""
    return _metadata(context)


def _metadata(context: ServerContext) -> dict[str, Any]:
    return provider_metadata(
        issuer=context.settings.issuer,
        base_url=context.public_base_url,
        id_token_algorithms=list(context.oauth.id_token_algorithms),
    )
