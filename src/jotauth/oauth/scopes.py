"""Which scopes a client may ask for and what they release (OIDC Core §5.4)."""

from __future__ import annotations

from jotauth.oauth.clients import OAuthClient
from jotauth.oauth.errors import InvalidScope

OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
# What the consent page says each scope lets the application do.
_DESCRIPTIONS = {
    "openid": "Know who you are (your account id)",
    "profile": "See your name",
    "email": "See your email address",
    "offline_access": "Stay signed in while you are away",
}


def describe(scope: str) -> str:
    """A sentence for the consent page; API scopes are shown by name."""
    return _DESCRIPTIONS.get(scope, f"Use the API permission “{scope}”")


def granted_scopes(client: OAuthClient, requested: str | None) -> tuple[str, ...]:
    """The requested scopes when all are allowed for ``client``; raises :class:`InvalidScope`.

    OIDC scopes are open to every client; API scopes only as registered (``--scope``).
    """
    asked = tuple(dict.fromkeys((requested or "").split()))
    if any(len(scope) > 128 for scope in asked) or len(asked) > 32:
        raise InvalidScope("scope too long")
    allowed = set(OIDC_SCOPES) | set(client.scopes)
    unknown = [scope for scope in asked if scope not in allowed]
    if unknown:
        raise InvalidScope(f"not allowed for this client: {' '.join(sorted(unknown))}")
    return asked


def issues_refresh_token(client: OAuthClient, scope: tuple[str, ...]) -> bool:
    """Refresh tokens only for ``offline_access`` or first-party clients (DESIGN §11)."""
    return client.first_party or "offline_access" in scope
