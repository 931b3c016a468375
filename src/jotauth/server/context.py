"""Everything a request handler needs, built once at start-up and stored on the app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from jotauth import jose
from jotauth.accounts import AccessTokenIssuer, Accounts, OwnTokenVerifier
from jotauth.oauth import OAuthProvider
from jotauth.server.cookies import CookiePolicy
from jotauth.server.csrf import CsrfTokens, OriginPolicy
from jotauth.server.delivery import SessionDelivery
from jotauth.server.metrics import ServerMetrics
from jotauth.server.redirects import ReturnToPolicy
from jotauth.server.signing_keys import SigningKeys
from jotauth.sessions import SessionError, SessionService
from jotauth.settings import Settings
from jotauth.store import AuditLog, Store, StoreError
from jotauth.users import UserError, UserService

# The base errors of the layers below HTTP; each instance has a stable ``code`` that
# ``server.problems`` maps to a status.
LAYER_ERRORS: tuple[type[Exception], ...] = (jose.JoseError, StoreError, UserError, SessionError)


@dataclass
class ServerContext:
    """The composed services of one running auth server (no globals: one per app)."""

    settings: Settings
    clock: Callable[[], float]
    store: Store
    audit: AuditLog
    users: UserService
    sessions: SessionService
    accounts: Accounts
    delivery: SessionDelivery
    keys: SigningKeys
    tokens: AccessTokenIssuer
    verifier: OwnTokenVerifier
    metrics: ServerMetrics
    cookies: CookiePolicy
    csrf: CsrfTokens
    origins: OriginPolicy
    return_to: ReturnToPolicy
    templates: Jinja2Templates
    public_base_url: str
    oauth: OAuthProvider


def get_context(request: Request) -> ServerContext:
    """FastAPI dependency: the running server's context."""
    context: ServerContext = request.app.state.context
    return context


Context = Annotated[ServerContext, Depends(get_context)]
