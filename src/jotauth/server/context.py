"""Everything a request handler needs, built once at start-up and stored on the app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from jotauth.accounts import AccessTokenIssuer, Accounts, OwnTokenVerifier
from jotauth.federation import Federation
from jotauth.keys import SigningKeys
from jotauth.mail import DevMailbox, OutboxDelivery
from jotauth.oauth import OAuthProvider
from jotauth.passkeys import Passkeys, PasskeySignIn
from jotauth.revocations.feed import RevocationFeed
from jotauth.server.cookies import CookiePolicy
from jotauth.server.csrf import CsrfTokens, OriginPolicy
from jotauth.server.delivery import SessionDelivery
from jotauth.server.metrics import ServerMetrics
from jotauth.server.redirects import ReturnToPolicy
from jotauth.sessions import SessionService
from jotauth.settings import Settings
from jotauth.store import AuditLog, Outbox, Store
from jotauth.throttle import LoginThrottle
from jotauth.users import UserService


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
    revocations: RevocationFeed
    tokens: AccessTokenIssuer
    verifier: OwnTokenVerifier
    metrics: ServerMetrics
    cookies: CookiePolicy
    csrf: CsrfTokens
    origins: OriginPolicy
    return_to: ReturnToPolicy
    templates: Jinja2Templates
    public_base_url: str
    throttle: LoginThrottle  # readiness: login needs it as much as the store
    oauth: OAuthProvider
    federation: Federation
    outbox: Outbox
    mail: OutboxDelivery | None  # None: no mail can go out (those features answer 404)
    passkeys: Passkeys | None = None  # None: passkeys are off (no usable relying party id)
    passkey_sign_in: PasskeySignIn | None = None

    @property
    def dev_mailbox(self) -> DevMailbox | None:
        """The dev mailbox when mail goes there (--dev without SMTP)."""
        transport = self.mail.transport if self.mail is not None else None
        return transport if isinstance(transport, DevMailbox) else None


async def get_context(request: Request) -> ServerContext:
    """FastAPI dependency: the running server's context.

    ``async`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in its
    thread pool, a thread hop per request on every route that takes the context.
    """
    context: ServerContext = request.app.state.context
    return context


Context = Annotated[ServerContext, Depends(get_context)]
