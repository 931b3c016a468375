"""The OAuth 2.1 authorization server and OpenID Connect provider (DESIGN §11), free of HTTP.

Clients registry, authorization codes, grants, ID tokens, revocation, introspection,
userinfo and RP-initiated logout; ``jotauth.server.routes.oauth`` is the HTTP side.
"""

from jotauth.oauth.authorization import (
    Approved,
    AuthorizationRequest,
    BrowserSession,
    ConsentNeeded,
    LoginNeeded,
    RedirectToClient,
)
from jotauth.oauth.clients import ClientRegistry, OAuthClient, RegisteredClient
from jotauth.oauth.errors import NotRedirectable, OAuthError
from jotauth.oauth.grants import ClientCredentials, TokenResponse
from jotauth.oauth.metadata import provider_metadata
from jotauth.oauth.provider import OAuthProvider, build_provider

__all__ = [
    "Approved",
    "AuthorizationRequest",
    "BrowserSession",
    "ClientCredentials",
    "ClientRegistry",
    "ConsentNeeded",
    "LoginNeeded",
    "NotRedirectable",
    "OAuthClient",
    "OAuthError",
    "OAuthProvider",
    "RedirectToClient",
    "RegisteredClient",
    "TokenResponse",
    "build_provider",
    "provider_metadata",
]
