"""The one ASGI app of the demo: the auth server, the lessons API and the built Angular app."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from jotauth.settings import Settings
from jotauth_demo.dispatch import ASGIApp, PrefixDispatcher
from jotauth_demo.spa import SinglePageApp

# Paths the auth server answers (DESIGN §5); everything else not under /api is the SPA.
AUTH_SERVER_PREFIXES = (
    "/api/auth",
    "/.well-known/",
    "/login",
    "/logout",
    "/oauth2/",
    # The hosted account pages (the demo's own live under /account/ in the SPA) and the dev
    # mailbox, where mail goes without JOTAUTH_SMTP_URL.
    "/signup",
    "/forgot",
    "/reset",
    "/verify",
    "/dev/",
    "/static/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
)
LESSONS_API_PREFIXES = ("/api/lessons", "/api/admin")


def create_demo_app(
    settings: Settings,
    *,
    app_dir: Path,
    lessons_api_file: Path | None = None,
    on_started: Callable[[], None] | None = None,
) -> ASGIApp:
    """The one ASGI app of the demo: auth server, lessons API and the built Angular app."""
    from jotauth.server.app import create_app

    auth_server: ASGIApp = create_app(settings)
    lessons_api = load_lessons_api(settings, lessons_api_file)
    routes: list[tuple[str, ASGIApp]] = [(prefix, auth_server) for prefix in AUTH_SERVER_PREFIXES]
    routes += [(prefix, lessons_api) for prefix in LESSONS_API_PREFIXES]
    # Anything else under /api is an unknown API path: the auth server's problem+json 404,
    # never the SPA's index.html (a JSON client must not get HTML with status 200).
    routes.append(("/api", auth_server))
    return PrefixDispatcher(routes, default=SinglePageApp(app_dir), on_started=on_started)


def load_lessons_api(settings: Settings, path: Path | None = None) -> ASGIApp:
    """The lessons API trusting this demo's auth server.

    By default the example beside this package (``examples/lessons_api.py``); ``path`` names
    another Python file whose ``create_app(settings)`` builds it.
    """
    if path is None:
        from lessons_api import create_app

        lessons_api: ASGIApp = create_app(settings)
        return lessons_api
    import importlib.util

    spec = importlib.util.spec_from_file_location("jotauth_demo_lessons_api", path)
    if not path.is_file() or spec is None or spec.loader is None:
        raise DemoError(f"cannot load the lessons API from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    factory: Callable[[Settings], ASGIApp] = module.create_app
    return factory(settings)


class DemoError(Exception):
    """The demo cannot start (a missing build or example); the message says what to do."""
