"""The auth server application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from jotauth import __version__
from jotauth.accounts import (
    AccessTokenIssuer,
    AccessTokenPolicy,
    Accounts,
    Administration,
    OwnAccount,
    OwnTokenVerifier,
    SignIn,
    SignInCounters,
    SignOut,
)
from jotauth.oauth import build_provider
from jotauth.server.body_limit import BodySizeLimit
from jotauth.server.context import LAYER_ERRORS, ServerContext
from jotauth.server.cookies import CookiePolicy
from jotauth.server.csrf import CsrfTokens, OriginPolicy
from jotauth.server.delivery import SessionDelivery
from jotauth.server.maintenance import purge_expired_sessions
from jotauth.server.metrics import RequestMetrics, ServerMetrics
from jotauth.server.oauth_cors import OAuthCors
from jotauth.server.pages import Branding, install_branding
from jotauth.server.problems import install_problem_handlers
from jotauth.server.redirects import ReturnToPolicy
from jotauth.server.routes import auth_api, hosted, oauth, operations, well_known
from jotauth.server.security_headers import SecurityHeaders
from jotauth.server.signing_keys import SigningKeys
from jotauth.server.startup import check_settings, public_origin, server_secret
from jotauth.sessions import SessionPolicy, SessionService
from jotauth.settings import Settings
from jotauth.store import AuditLog, KeyRepository, Store, open_store
from jotauth.throttle import login_throttle_for
from jotauth.users import PasswordHasher, UserService

MAX_BODY_BYTES = 64 * 1024
_HERE = Path(__file__).parent
_log = logging.getLogger("jotauth.server")


def create_app(settings: Settings, *, clock: Callable[[], float] = time.time) -> FastAPI:
    """Build the auth server. The store is opened and keys loaded when the app starts.

    Raises :class:`~jotauth.server.startup.StartupRefused` at once for unsafe settings.
    ``clock`` (POSIX seconds) is injectable so tests control token and session expiry.
    """
    cookies = check_settings(settings)
    settings.warn_if_insecure()
    metrics = ServerMetrics()
    origins = OriginPolicy(
        own_origin=public_origin(settings), allowed_origins=settings.allowed_origins
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await open_store(settings)
        stop = asyncio.Event()
        async with contextlib.AsyncExitStack() as exits:
            exits.push_async_callback(store.close)
            context = await _compose(
                settings,
                store,
                exits,
                clock=clock,
                metrics=metrics,
                cookies=cookies,
                origins=origins,
            )
            app.state.context = context
            background = [
                asyncio.create_task(context.keys.run_rotation(stop), name="jotauth-key-rotation"),
                asyncio.create_task(
                    purge_expired_sessions(context.sessions, stop), name="jotauth-session-purge"
                ),
            ]
            try:
                _log.info("auth server ready", extra={"issuer": settings.issuer})
                yield
            finally:
                stop.set()
                await asyncio.gather(*background)

    app = FastAPI(
        title="jotauth",
        version=__version__,
        summary="JWT authentication server: login, rotating refresh tokens, JWKS",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI loads scripts from a CDN; the CSP forbids that
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    install_problem_handlers(
        app,
        layer_errors=LAYER_ERRORS,
        on_problem=lambda problem: metrics.failures.labels(problem.code).inc(),
    )
    app.include_router(auth_api.router)
    app.include_router(well_known.router)
    app.include_router(hosted.router)
    app.include_router(operations.router)
    app.include_router(oauth.router)
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")
    # Outermost last: metrics see every response, including 413s from the body limit.
    if settings.allowed_origins:
        # SPAs on allowlisted origins (e.g. sibling subdomains) call the API with
        # credentials; nobody else gets CORS access (no wildcard with credentials).
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(origins.allowed),
            allow_credentials=True,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", settings.csrf_header_name],
            max_age=600,
        )
    # Outside the credentialed CORS above, which would refuse public clients' preflights.
    app.add_middleware(OAuthCors, origins=lambda: app.state.context.oauth.clients.public_origins())
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(SecurityHeaders, hsts=not settings.dev)
    app.add_middleware(RequestMetrics, metrics=metrics, logger=logging.getLogger("jotauth.http"))
    return app


def _templates(settings: Settings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    install_branding(
        templates,
        Branding(
            name=settings.brand_name,
            logo_url=settings.brand_logo_url,
            accent_color=settings.brand_accent_color,
        ),
    )
    return templates


async def _compose(
    settings: Settings,
    store: Store,
    exits: contextlib.AsyncExitStack,
    *,
    clock: Callable[[], float],
    metrics: ServerMetrics,
    cookies: CookiePolicy,
    origins: OriginPolicy,
) -> ServerContext:
    """Build the services of a running server on an open store (keys loaded, pools started)."""
    secret = server_secret(settings)
    audit = AuditLog(store, clock=clock)
    keys = SigningKeys(
        settings,
        KeyRepository(store, secret_key=secret),
        clock=clock,
        audit=audit,
        on_transition=lambda transition: metrics.key_rotations.labels(transition).inc(),
    )
    await keys.start()
    sessions = SessionService(
        store, SessionPolicy.from_settings(settings), audit=audit, secret=secret, clock=clock
    )
    hasher = PasswordHasher(settings)
    exits.callback(hasher.close)
    throttle = login_throttle_for(settings)
    exits.push_async_callback(throttle.close)
    users = UserService(
        store,
        hasher,
        throttle=throttle,
        audit=audit,
        min_password_length=settings.password_min_length,
        clock=clock,
    )
    token_policy = AccessTokenPolicy.from_settings(settings)
    tokens = AccessTokenIssuer(token_policy, signing_key=keys.signing_key, clock=clock)
    verifier = OwnTokenVerifier(token_policy, key_set=keys.key_set, clock=clock)
    csrf = CsrfTokens(secret)
    accounts = Accounts(
        sign_in=SignIn(
            users=users,
            sessions=sessions,
            tokens=tokens,
            counters=SignInCounters(
                login=lambda outcome: metrics.logins.labels(outcome).inc(),
                refresh=lambda outcome: metrics.refreshes.labels(outcome).inc(),
            ),
        ),
        sign_out=SignOut(sessions=sessions, clock=clock),
        own_account=OwnAccount(users=users, sessions=sessions, clock=clock),
        administration=Administration(users=users, sessions=sessions),
    )
    return ServerContext(
        settings=settings,
        clock=clock,
        store=store,
        audit=audit,
        users=users,
        sessions=sessions,
        accounts=accounts,
        delivery=SessionDelivery(cookies=cookies, csrf=csrf, clock=clock),
        keys=keys,
        tokens=tokens,
        verifier=verifier,
        metrics=metrics,
        cookies=cookies,
        csrf=csrf,
        origins=origins,
        return_to=ReturnToPolicy(own_origin=origins.own_origin, allowed_origins=origins.allowed),
        templates=_templates(settings),
        public_base_url=(settings.public_url or settings.issuer).rstrip("/"),
        oauth=build_provider(
            store,
            policy=token_policy,
            sessions=sessions,
            users=users,
            access_tokens=tokens,
            verifier=verifier,
            signing_key=keys.signing_key,
            key_set=keys.key_set,
            clock=clock,
        ),
    )
