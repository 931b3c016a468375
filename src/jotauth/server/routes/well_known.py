"""``/.well-known/jwks.json`` and ``/.well-known/openid-configuration`` (DESIGN §4)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from jotauth.server.context import Context

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
    summary="Issuer metadata (OpenID Connect Discovery 1.0 / RFC 8414)",
)
def openid_configuration(context: Context) -> dict[str, Any]:
    """Enough metadata for standard libraries to configure themselves from the issuer URL."""
    settings = context.settings
    base = context.public_base_url
    return {
        "issuer": settings.issuer,
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "token_endpoint": f"{base}/api/auth/refresh",
        "authorization_endpoint": f"{base}/login",
        "end_session_endpoint": f"{base}/logout",
        "userinfo_endpoint": f"{base}/api/auth/me",
        "response_types_supported": ["token"],
        "grant_types_supported": ["password", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [settings.algorithm],
        "token_endpoint_auth_methods_supported": ["none"],
        "access_token_signing_alg_values_supported": [settings.algorithm],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "jti", "sid", "scope", "roles"],
    }
