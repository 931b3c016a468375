"""``jotauth demo``: the auth server, the lessons API and the Angular demo on one origin.

One ASGI application answers on ``http://127.0.0.1:8000`` (plain HTTP, ``--dev`` cookies):

* the auth server (``/api/auth/…``, ``/.well-known/…``, the hosted ``/login`` page, health),
* the lessons API of ``examples/lessons_api.py`` (``/api/lessons``, ``/api/admin/…``),
* the built Angular app (``clients/demo``) with an ``index.html`` fallback for client
  routes, and the AngularJS page under ``/legacy/``.

Everything is served from one origin on purpose: cookie delivery with ``SameSite`` cookies
and the double-submit CSRF token needs no CORS at all that way (DESIGN §5, §8).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from jotauth.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_APP_DIR = REPO_ROOT / "clients" / "demo" / "dist" / "demo" / "browser"
DEFAULT_DATA_DIR = Path(".jotauth-demo")


@dataclass(frozen=True)
class DemoAccount:
    """A demo login printed at start-up: fixed on purpose, the demo only listens on loopback."""

    email: str
    password: str
    name: str
    roles: tuple[str, ...]
    scope: tuple[str, ...]


DEMO_ACCOUNTS = (
    DemoAccount(
        email="user@example.com",
        password="jot-demo-reader-42",
        name="Demo User",
        roles=(),
        scope=("lessons:read",),
    ),
    DemoAccount(
        email="admin@example.com",
        password="jot-demo-keeper-42",
        name="Demo Admin",
        roles=("admin",),
        scope=("lessons:read", "lessons:write"),
    ),
)


# --- settings -------------------------------------------------------------------------------


def demo_settings(*, data_dir: Path, host: str, port: int, **overrides: Any) -> Settings:
    """Settings of the demo: --dev cookies, SQLite and a secret key kept in ``data_dir``.

    ``JOTAUTH_*`` environment variables still apply to everything not fixed here (the
    browser tests shorten the access-token lifetime that way).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    origin = f"http://{host}:{port}"
    # People type "localhost" as often as "127.0.0.1": both may log in (login CSRF checks
    # the Origin header against this list), each with its own cookies.
    origins = (origin, f"http://localhost:{port}") if host == "127.0.0.1" else (origin,)
    values: dict[str, Any] = {
        "dev": True,
        "issuer": origin,
        "public_url": origin,
        "allowed_origins": origins,
        "database_url": f"sqlite+aiosqlite:///{(data_dir / 'jotauth.db').resolve()}",
        "secret_key": _demo_secret_key(data_dir),
        "host": host,
        "port": port,
    }
    values.update(overrides)
    return Settings(**values)


def _demo_secret_key(data_dir: Path) -> str:
    # The key-encryption key must survive restarts, or the stored signing keys (and every
    # session's CSRF token) would become unreadable; a random one per data directory.
    path = data_dir / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


# --- static files -----------------------------------------------------------------------------

# Content-Security-Policy of the single-page apps (OWASP XSS prevention: no inline script,
# nothing loaded from other origins, no framing). Angular inserts component styles at
# runtime, so inline styles are allowed; scripts never are.
_SPA_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class SinglePageApp:
    """Serves a built single-page app: files as they are, ``index.html`` for client routes.

    A path whose last segment has no dot is a client route (``/lessons``, ``/signin``) and
    gets ``index.html`` — the one of its first directory when that has its own (the
    AngularJS page in ``/legacy/``), else the root one. A missing file (``/main-XYZ.js``)
    stays a 404, so a stale bundle fails loudly instead of loading HTML as script.
    """

    def __init__(self, directory: Path) -> None:
        from starlette.staticfiles import StaticFiles

        self.directory = directory
        self._files = StaticFiles(directory=directory, check_dir=False)

    def index_for(self, path: str) -> Path:
        """The ``index.html`` that answers the client route ``path``."""
        first = path.strip("/").split("/", 1)[0]
        if first and first not in (".", "..") and "\\" not in first:
            nested = self.directory / first / "index.html"
            if nested.is_file():
                return nested
        return self.directory / "index.html"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point (HTTP only)."""
        from starlette.exceptions import HTTPException
        from starlette.responses import FileResponse, PlainTextResponse, Response

        if scope["type"] != "http":
            return
        path = str(scope["path"])
        response: Response
        if not (self.directory / "index.html").is_file():
            response = PlainTextResponse(
                "The demo app is not built. Run scripts/demo.sh (or `make demo`).", 503
            )
        elif scope["method"] not in ("GET", "HEAD"):
            response = PlainTextResponse("Method Not Allowed", 405, headers={"Allow": "GET, HEAD"})
        elif path.endswith("/") or "." not in path.rsplit("/", 1)[-1]:
            response = FileResponse(self.index_for(path))
        else:
            try:
                response = await self._files.get_response(self._files.get_path(scope), scope)
            except HTTPException as error:
                response = PlainTextResponse(str(error.detail), error.status_code)
        _add_spa_headers(response, is_html=response.media_type == "text/html")
        await response(scope, receive, send)


def _add_spa_headers(response: Any, *, is_html: bool) -> None:
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    if is_html:
        headers["Content-Security-Policy"] = _SPA_CSP
        # index.html names the hashed bundles, so it must be revalidated on every load.
        headers["Cache-Control"] = "no-cache"
    elif response.status_code == 200:
        headers["Cache-Control"] = "public, max-age=3600"


# --- routing by path prefix ------------------------------------------------------------------


class PrefixDispatcher:
    """Sends each request to the first app whose path prefix matches; else to ``default``.

    Paths are passed on unchanged (no ``root_path`` games), so every app sees the URLs it
    declares. Lifespan events are fanned out to every app that supports them.
    """

    def __init__(
        self,
        routes: Sequence[tuple[str, ASGIApp]],
        default: ASGIApp,
        *,
        on_started: Callable[[], None] | None = None,
    ) -> None:
        self._routes = tuple(routes)
        self._default = default
        self._on_started = on_started

    def app_for(self, path: str) -> ASGIApp:
        """The app that serves ``path``."""
        for prefix, app in self._routes:
            if path == prefix or path.startswith(prefix if prefix.endswith("/") else prefix + "/"):
                return app
        return self._default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] == "lifespan":
            apps = _unique(app for _, app in self._routes)
            await _fan_out_lifespan(apps, receive, send, on_started=self._on_started)
            return
        await self.app_for(str(scope["path"]))(scope, receive, send)


def _unique(apps: Iterable[ASGIApp]) -> list[ASGIApp]:
    seen: list[ASGIApp] = []
    for app in apps:
        if all(app is not other for other in seen):
            seen.append(app)
    return seen


class _AppLifespan:
    """Drives one app's lifespan protocol from the outside."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> bool:
        """Run the app's startup; False when the app does not speak lifespan."""
        scope: Scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        self._task = asyncio.create_task(self._run(scope))
        await self._inbox.put({"type": "lifespan.startup"})
        reply = await self._outbox.get()
        if reply["type"] == "lifespan.startup.failed":
            raise RuntimeError(f"an app failed to start: {reply.get('message', '')}")
        return bool(reply["type"] == "lifespan.startup.complete")

    async def stop(self) -> None:
        """Run the app's shutdown and wait for it."""
        await self._inbox.put({"type": "lifespan.shutdown"})
        await self._outbox.get()
        if self._task is not None:
            await self._task

    async def _run(self, scope: Scope) -> None:
        try:
            await self._app(scope, self._inbox.get, self._outbox.put)
        except Exception as error:  # an app without lifespan support raises on the scope type
            await self._outbox.put({"type": "lifespan.unsupported", "message": repr(error)})


async def _fan_out_lifespan(
    apps: Sequence[ASGIApp],
    receive: Receive,
    send: Send,
    *,
    on_started: Callable[[], None] | None = None,
) -> None:
    started: list[_AppLifespan] = []
    message = await receive()
    if message["type"] != "lifespan.startup":
        return
    try:
        for app in apps:
            lifespan = _AppLifespan(app)
            if await lifespan.start():
                started.append(lifespan)
    except Exception as error:
        for lifespan in reversed(started):
            await lifespan.stop()
        await send({"type": "lifespan.startup.failed", "message": str(error)})
        return
    if on_started is not None:
        on_started()
    await send({"type": "lifespan.startup.complete"})
    message = await receive()
    for lifespan in reversed(started):
        await lifespan.stop()
    await send({"type": "lifespan.shutdown.complete"})


# --- demo accounts ----------------------------------------------------------------------------


async def ensure_demo_accounts(settings: Settings, accounts: Sequence[DemoAccount]) -> None:
    """Create the demo accounts that do not exist yet (this also creates the database)."""
    from jotauth.users.cli import open_admin_services

    async with open_admin_services(settings) as services:
        for account in accounts:
            if await services.users.get_user_by_email(account.email) is None:
                await services.users.create_user(
                    account.email,
                    account.password,
                    name=account.name,
                    roles=account.roles,
                    scope=account.scope,
                )


# --- composition --------------------------------------------------------------------------------

# Paths the auth server answers (DESIGN §5); everything else not under /api is the SPA.
AUTH_SERVER_PREFIXES = (
    "/api/auth",
    "/.well-known/",
    "/login",
    "/logout",
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

    By default the example shipped in the package (``examples/lessons_api.py`` runs the
    same one); ``path`` names another Python file whose ``create_app(settings)`` builds it.
    """
    if path is None:
        from jotauth.examples.lessons import create_lessons_app_for

        lessons_api: ASGIApp = create_lessons_app_for(settings)
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


# --- the command --------------------------------------------------------------------------------


def _print_banner(settings: Settings, accounts: Sequence[DemoAccount], app_dir: Path) -> None:
    url = f"http://{settings.host}:{settings.port}"
    click.secho("jotauth demo", bold=True)
    click.echo(f"  open        {url}/")
    click.echo(f"  hosted page {url}/login")
    click.echo(f"  AngularJS   {url}/legacy/")
    click.echo(f"  body tokens {url}/?delivery=body  (cookies are the default)")
    click.echo(f"  database    {settings.database_url}")
    for account in accounts:
        roles = ", ".join(account.roles) or "no roles"
        click.echo(f"  sign in as  {account.email} / {account.password}  ({roles})")
    if not (app_dir / "index.html").is_file():
        click.secho(f"  the Angular app is not built ({app_dir}); run scripts/demo.sh", fg="yellow")
    click.secho(
        "  DEVELOPMENT MODE: plain HTTP, cookies without Secure. Local use only.",
        fg="red",
        bold=True,
    )


@click.command(name="demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DATA_DIR,
    show_default=True,
    help="Where the SQLite database and the secret key live.",
)
@click.option(
    "--app-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_APP_DIR,
    help="The built Angular demo (clients/demo/dist/demo/browser).",
)
@click.option(
    "--lessons-api",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A Python file whose create_app(settings) builds the lessons API "
    "(default: the example in jotauth.examples.lessons).",
)
def demo(host: str, port: int, data_dir: Path, app_dir: Path, lessons_api: Path | None) -> None:
    """Run the auth server, the lessons API and the Angular demo on one origin."""
    import uvicorn

    from jotauth.server.jsonlog import configure_json_logging

    settings = demo_settings(data_dir=data_dir, host=host, port=port)
    configure_json_logging(settings.log_level)
    try:
        asyncio.run(ensure_demo_accounts(settings, DEMO_ACCOUNTS))
        app = create_demo_app(
            settings,
            app_dir=app_dir,
            lessons_api_file=lessons_api,
            # Once everything is up, so the accounts are the last thing on the screen.
            on_started=lambda: _print_banner(settings, DEMO_ACCOUNTS, app_dir),
        )
    except DemoError as error:
        raise click.ClickException(str(error)) from error
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,  # the JSON logging configured above
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )


if __name__ == "__main__":
    demo()
