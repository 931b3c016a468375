"""The lessons API of the docs: a FastAPI resource server that trusts a ``jotauth serve`` by JWKS.

* ``GET /api/lessons``: any logged-in user;
* ``POST /api/lessons``: scope ``lessons:write``;
* ``GET /api/admin/stats``: role ``admin``;
* ``GET /healthz``: public.

Everything under ``/api`` is behind :class:`~jotauth.guard.JWTAuthMiddleware` (the
``app.use('/api', expressJwt(...))`` of the seeds); scopes and roles are route dependencies.

Run it next to a ``jotauth serve`` (which issues the tokens and publishes the JWKS)::

    jotauth serve --dev &
    python examples/lessons_api.py --issuer http://127.0.0.1:8000 --audience jotauth --port 8001

or with uvicorn's factory mode, configured from the same ``JOTAUTH_*`` settings as the server::

    uvicorn --factory examples.lessons_api:create_app_from_env --port 8001

It is an example, not part of the library: the demo (``examples/jotauth_demo``) serves it, and
the tests and ``bench/guard.py`` import it with ``examples/`` on the path.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Sequence
from typing import Literal

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, Field

from jotauth.guard import CsrfPolicy, HttpRefresh, JWTAuthMiddleware, SilentRefresh
from jotauth.guard.fastapi import (
    CurrentUser,
    install_problem_handler,
    require_roles,
    require_scopes,
)
from jotauth.jose import Algorithm
from jotauth.settings import Settings
from jotauth.verify import JWKSClient, TokenVerifier


class Lesson(BaseModel):
    """One lesson of the catalogue."""

    id: int
    title: str
    duration: str
    author: str


class NewLesson(BaseModel):
    """A lesson to add (``POST /api/lessons``)."""

    title: str = Field(min_length=1, max_length=200)
    duration: str = Field(default="10:00", pattern=r"^\d{1,3}:[0-5]\d$")


class Stats(BaseModel):
    """What the admin page shows."""

    lessons: int
    authors: int
    requested_by: str


class LessonCatalogue:
    """The lessons of one app instance (in memory: this is an example, not a product)."""

    def __init__(self, seed: Sequence[tuple[str, str]]) -> None:
        self._ids = itertools.count(1)
        self._lessons = [
            Lesson(id=next(self._ids), title=title, duration=duration, author="jotauth")
            for title, duration in seed
        ]

    def all(self) -> list[Lesson]:
        """Every lesson, oldest first."""
        return list(self._lessons)

    def add(self, new: NewLesson, author: str) -> Lesson:
        """Store a lesson written by ``author`` (a user id)."""
        lesson = Lesson(id=next(self._ids), title=new.title, duration=new.duration, author=author)
        self._lessons.append(lesson)
        return lesson


SEED_LESSONS = (
    ("Stateless authentication with JWTs", "12:05"),
    ("Refresh token rotation and reuse detection", "09:41"),
    ("JWKS and key rotation", "07:30"),
    ("CSRF and cookie delivery", "11:12"),
)


def create_lessons_app(
    *,
    jwks_url: str,
    issuer: str,
    audience: str | Sequence[str],
    algorithms: Sequence[Algorithm] = ("RS256",),
    leeway: float = 30,
    cookie_name: str = "__Host-jot_access",
    token_sources: Sequence[Literal["header", "cookie"]] = ("header", "cookie"),
    csrf: CsrfPolicy | None = None,
    silent_refresh: SilentRefresh | None = None,
) -> FastAPI:
    """The lessons API, verifying access tokens through the JWKS at ``jwks_url``."""
    jwks = JWKSClient(jwks_url, algorithms=algorithms)
    verifier = TokenVerifier(
        issuer=issuer, audience=audience, keys=jwks, algorithms=algorithms, leeway=leeway
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await jwks.aclose()

    app = FastAPI(title="lessons API", lifespan=lifespan, docs_url=None, redoc_url=None)
    catalogue = LessonCatalogue(SEED_LESSONS)
    started = time.time()

    @app.get("/healthz")
    async def health() -> dict[str, float]:
        """Liveness (public)."""
        return {"uptime": time.time() - started}

    @app.get("/api/lessons")
    async def list_lessons(user: CurrentUser) -> list[Lesson]:
        """Every lesson, for any logged-in user."""
        return catalogue.all()

    @app.post(
        "/api/lessons",
        status_code=201,
        dependencies=[Depends(require_scopes("lessons:write"))],
    )
    async def add_lesson(new: NewLesson, user: CurrentUser) -> Lesson:
        """Add a lesson (scope ``lessons:write``)."""
        return catalogue.add(new, author=user.sub)

    @app.get("/api/admin/stats", dependencies=[Depends(require_roles("admin"))])
    async def admin_stats(request: Request, user: CurrentUser) -> Stats:
        """Catalogue figures (role ``admin``)."""
        lessons = catalogue.all()
        return Stats(
            lessons=len(lessons),
            authors=len({lesson.author for lesson in lessons}),
            requested_by=user.sub,
        )

    install_problem_handler(app)
    app.add_middleware(
        JWTAuthMiddleware,
        verifier=verifier,
        protect=("/api",),
        token_sources=token_sources,
        cookie_name=cookie_name,
        csrf=csrf,
        silent_refresh=silent_refresh,
    )
    return app


def create_lessons_app_for(settings: Settings, *, silent_refresh: bool = False) -> FastAPI:
    """The lessons API next to the auth server described by ``settings`` (the demo).

    Keys come from the server's JWKS over HTTP, like any separate resource server; the
    CSRF token is checked against the session since the secret is shared; with
    ``silent_refresh`` an expired access cookie is renewed through ``/api/auth/refresh``.
    """
    base_url = (settings.public_url or settings.issuer).rstrip("/")
    access_cookie = _cookie_name(settings.access_cookie_name, settings)
    refresh_cookie = _cookie_name(settings.refresh_cookie_name, settings)
    secret = settings.secret_key.get_secret_value().encode("utf-8") if settings.secret_key else None
    refresher = None
    if silent_refresh:
        refresher = SilentRefresh(
            HttpRefresh(
                f"{base_url}/api/auth/refresh",
                access_cookie_name=access_cookie,
                refresh_cookie_name=refresh_cookie,
                csrf_cookie_name=settings.csrf_cookie_name,
                csrf_header_name=settings.csrf_header_name,
            ),
            refresh_cookie_name=refresh_cookie,
            refresh_cookie_path=settings.refresh_cookie_path,
            access_cookie_name=access_cookie,
            secure=settings.cookies_secure,
        )
    return create_lessons_app(
        jwks_url=f"{base_url}/.well-known/jwks.json",
        issuer=settings.issuer,
        audience=settings.audience,
        algorithms=(settings.algorithm,),
        leeway=settings.leeway,
        cookie_name=access_cookie,
        csrf=CsrfPolicy(
            secret=secret,
            allowed_origins=settings.allowed_origins,
            cookie_name=settings.csrf_cookie_name,
            header_name=settings.csrf_header_name,
        ),
        silent_refresh=refresher,
    )


def _cookie_name(name: str, settings: Settings) -> str:
    # As the auth server names it: a shared cookie Domain rules out the __Host- prefix.
    if settings.cookie_domain and name.startswith("__Host-"):
        return name.removeprefix("__Host-")
    return name


def create_app(settings: Settings) -> FastAPI:
    """The lessons API trusting the auth server that ``settings`` describes (the demo's hook)."""
    return create_lessons_app_for(settings)


def create_app_from_env() -> FastAPI:
    """The lessons API configured from ``JOTAUTH_*`` variables / ``jotauth.toml``."""
    return create_lessons_app_for(Settings())


def main() -> None:
    """Serve the lessons API with uvicorn."""
    import uvicorn

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--issuer", required=True, help="the auth server's issuer URL")
    parser.add_argument("--audience", required=True, help="the audience tokens must carry")
    parser.add_argument("--jwks-url", help="default: ISSUER/.well-known/jwks.json")
    parser.add_argument("--cookie-name", default="__Host-jot_access")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    app = create_lessons_app(
        jwks_url=args.jwks_url or f"{args.issuer.rstrip('/')}/.well-known/jwks.json",
        issuer=args.issuer,
        audience=args.audience,
        cookie_name=args.cookie_name,
    )
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
