"""Discovery documents (RFC 8414, OpenID Connect Discovery 1.0): exactly what is implemented."""

from __future__ import annotations

from typing import Any

from jotauth.oauth.scopes import OIDC_SCOPES

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")


def provider_metadata(
    *, issuer: str, base_url: str, id_token_algorithms: list[str]
) -> dict[str, Any]:
    """The provider's metadata; both well-known documents serve it."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{base_url}/oauth2/authorize",
        "token_endpoint": f"{base_url}/oauth2/token",
        "userinfo_endpoint": f"{base_url}/oauth2/userinfo",
        "revocation_endpoint": f"{base_url}/oauth2/revoke",
        "introspection_endpoint": f"{base_url}/oauth2/introspect",
        "end_session_endpoint": f"{base_url}/oauth2/logout",
        "jwks_uri": f"{base_url}/.well-known/jwks.json",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "scopes_supported": list(OIDC_SCOPES),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": id_token_algorithms,
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_supported": [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "amr",
            "sid",
            "at_hash",
            "azp",
            "email",
            "email_verified",
            "name",
        ],
        "authorization_response_iss_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "claims_parameter_supported": False,
    }
