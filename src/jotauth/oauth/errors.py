"""The provider's errors, in the vocabulary of RFC 6749 §4.1.2.1 / §5.2 and OIDC Core §3.1.2.6.

They are not the server's problem+json errors: OAuth clients expect ``{"error": …,
"error_description": …}`` (or the same as redirect parameters), so they form their own small
hierarchy with the RFC's codes, and the OAuth routes render them.
"""

from __future__ import annotations


class OAuthError(Exception):
    """Base: ``error`` is the RFC code, ``status`` the token endpoint's HTTP status."""

    error: str = "invalid_request"
    status: int = 400
    default_description: str = "The request is invalid."

    def __init__(self, description: str | None = None) -> None:
        self.description = description or self.default_description
        super().__init__(self.description)


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    """Client authentication failed (RFC 6749 §5.2): 401."""

    error, status = "invalid_client", 401
    default_description = "Client authentication failed."


class InvalidGrant(OAuthError):
    error = "invalid_grant"
    default_description = "The grant is invalid, expired, revoked or was issued to another client."


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"
    default_description = "This client may not use this grant type."


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"
    default_description = "Supported grant types: authorization_code, refresh_token, "
    default_description += "client_credentials."


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"
    default_description = "Only response_type=code is supported."


class InvalidScope(OAuthError):
    error = "invalid_scope"
    default_description = "The requested scope is not allowed for this client."


class AccessDenied(OAuthError):
    error = "access_denied"
    default_description = "The user denied the request."


class LoginRequired(OAuthError):
    error = "login_required"
    default_description = "The user is not signed in."


class ConsentRequired(OAuthError):
    error = "consent_required"
    default_description = "The user has not approved this client."


class InvalidToken(OAuthError):
    """A bearer token the userinfo endpoint cannot accept (RFC 6750 §3.1): 401."""

    error, status = "invalid_token", 401
    default_description = "The access token is invalid or expired."


class NotRedirectable(Exception):
    """The client or its redirect URI is unknown: tell the user, never redirect (RFC 6749
    §4.1.2.1 — redirecting would make the provider an open redirector)."""

    def __init__(self, description: str) -> None:
        self.description = description
        super().__init__(description)
