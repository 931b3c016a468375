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
from jotauth.accounts import SignInCounters
from jotauth.composition import Services, open_services
from jotauth.extras import require_drivers
from jotauth.server.body_limit import BodySizeLimit
from jotauth.server.context import ServerContext
from jotauth.server.cookies import CookiePolicy
from jotauth.server.csrf import CsrfTokens, OriginPolicy
from jotauth.server.delivery import SessionDelivery
from jotauth.server.hot_routes import hot_routes
from jotauth.server.maintenance import (
    flush_throttled_attempts,
    key_check_interval,
    purge_expired_sessions,
    purge_old_audit_events,
    rotate_keys_periodically,
)
from jotauth.server.metrics import RequestMetrics, ServerMetrics, counting
from jotauth.server.oauth_cors import OAuthCors
from jotauth.server.pages import Branding, install_branding
from jotauth.server.problems import install_problem_handlers
from jotauth.server.redirects import ReturnToPolicy
from jotauth.server.routes import (
    account_pages,
    accounts_api,
    auth_api,
    dev_mailbox,
    federation,
    hosted,
    hosted_second_step,
    mfa_api,
    oauth,
    operations,
    passkeys,
    revocations,
    well_known,
)
from jotauth.server.security_headers import SecurityHeaders
from jotauth.server.startup import check_settings, public_origin
from jotauth.server.telemetry import fastapi_telemetry
from jotauth.settings import Settings
from jotauth.store.changes import listen_for_key_changes

MAX_BODY_BYTES = 64 * 1024
_HERE = Path(__file__).parent
_log = logging.getLogger("jotauth.server")


def create_app(settings: Settings, *, clock: Callable[[], float] = time.time) -> FastAPI:
    """Build the auth server. The store is opened and keys loaded when the app starts.

    Raises :class:`~jotauth.server.startup.StartupRefused` at once for unsafe settings.
    ``clock`` (POSIX seconds) is injectable so tests control token and session expiry.
    """
    cookies = check_settings(settings)
    # A missing driver is one line now, not a traceback from the lifespan inside uvicorn.
    require_drivers(database_url=settings.database_url, redis_url=settings.redis_url)
    settings.warn_if_insecure()
    metrics = ServerMetrics()
    origins = OriginPolicy(
        own_origin=public_origin(settings), allowed_origins=settings.allowed_origins
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_services(
            settings,
            clock=clock,
            on_key_transition=counting(metrics.key_rotations),
            counters=SignInCounters(
                login=counting(metrics.logins), refresh=counting(metrics.refreshes)
            ),
            mail_outcomes=counting(metrics.mail_deliveries),
        ) as services:
            context = await _serve(services, metrics=metrics, cookies=cookies, origins=origins)
            app.state.context = context
            stop = asyncio.Event()
            background = [
                asyncio.create_task(
                    rotate_keys_periodically(
                        context.keys, stop, interval=key_check_interval(settings.jwks_max_age)
                    ),
                    name="jotauth-key-rotation",
                ),
                asyncio.create_task(
                    purge_expired_sessions(context.sessions, stop), name="jotauth-session-purge"
                ),
                # A key revoked elsewhere (the CLI, another instance) leaves this instance's
                # JWKS and stops signing within a second, not at the next rotation check.
                asyncio.create_task(
                    listen_for_key_changes(services.store, context.keys.load, stop),
                    name="jotauth-key-changes",
                ),
                asyncio.create_task(
                    purge_old_audit_events(
                        context.audit,
                        stop,
                        retention_days=settings.audit_retention_days,
                        clock=clock,
                    ),
                    name="jotauth-audit-purge",
                ),
                asyncio.create_task(
                    flush_throttled_attempts(context.audit, stop), name="jotauth-throttled-flush"
                ),
            ]
            if services.mail is not None:
                # The outbox is drained by every instance; each mail is claimed by one.
                background.append(
                    asyncio.create_task(
                        services.mail.run(stop, interval=settings.mail_poll_interval),
                        name="jotauth-mail-delivery",
                    )
                )
                _log.info("mail goes to %s", services.mail.transport.description)
            try:
                _log.info("auth server ready", extra={"issuer": settings.issuer})
                yield
            finally:
                # A reset asked for just before shutdown is still written to the outbox.
                await context.accounts.quiet_work.idle()
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
        # Off unless an OpenTelemetry provider is configured: FastAPI looks per request.
        **fastapi_telemetry(),
    )
    count_failure = counting(metrics.failures)
    install_problem_handlers(app, on_problem=lambda problem: count_failure(problem.code))
    app.include_router(auth_api.router)
    app.include_router(accounts_api.router)
    app.include_router(mfa_api.router)
    app.include_router(well_known.router)
    app.include_router(revocations.router)
    app.include_router(hosted.router)
    app.include_router(hosted_second_step.router)
    app.include_router(account_pages.router)
    app.include_router(dev_mailbox.router)
    app.include_router(operations.router)
    app.include_router(oauth.router)
    app.include_router(federation.router)
    app.include_router(passkeys.router)
    # Ahead of every other route: refresh and /me answered without FastAPI's per-request
    # dependency and body machinery (issue 15), anything unusual passed on to their routes.
    app.router.routes[0:0] = hot_routes()
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")
    # Outermost last: metrics see every response, including 413s from the body limit.
    if settings.allowed_origins:
        # SPAs on allowlisted origins (e.g. sibling subdomains) call the API with
        # credentials; nobody else gets CORS access (no wildcard with credentials).
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(origins.allowed),
            allow_credentials=True,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
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


async def _serve(
    services: Services,
    *,
    metrics: ServerMetrics,
    cookies: CookiePolicy,
    origins: OriginPolicy,
) -> ServerContext:
    """The HTTP layer on the opened services: keys loaded, request-handling objects built."""
    settings, clock = services.settings, services.clock
    signing = services.require_signing()
    await signing.keys.start()
    csrf = CsrfTokens(signing.secret_key)
    metrics.watch_hash_queue(lambda: services.hasher.queue_depth)
    return ServerContext(
        settings=settings,
        clock=clock,
        store=services.store,
        audit=services.audit,
        users=services.users,
        sessions=services.sessions,
        accounts=services.require_accounts(),
        delivery=SessionDelivery(cookies=cookies, csrf=csrf, clock=clock),
        keys=signing.keys,
        revocations=services.revocations,
        tokens=signing.tokens,
        verifier=signing.verifier,
        metrics=metrics,
        cookies=cookies,
        csrf=csrf,
        origins=origins,
        return_to=ReturnToPolicy(own_origin=origins.own_origin, allowed_origins=origins.allowed),
        templates=_templates(settings),
        public_base_url=(settings.public_url or settings.issuer).rstrip("/"),
        throttle=services.throttle,
        oauth=services.require_oauth(),
        outbox=services.outbox,
        mail=services.mail,
        federation=services.require_federation(),
        passkeys=services.passkeys,
        passkey_sign_in=services.passkey_sign_in,
    )
