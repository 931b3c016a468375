"""FastAPI dependencies: the current user, scope, role and step-up checks, per-route protection.

With :class:`~jotauth.guard.JWTAuthMiddleware` protecting a prefix, routes read the claims
it verified::

    @app.get("/api/lessons")
    async def lessons(user: CurrentUser) -> list[Lesson]: ...

    @app.post("/api/lessons", dependencies=[Depends(require_scopes("lessons:write"))])
    @app.delete("/api/account", dependencies=[Depends(require_amr("mfa")),
                                              Depends(require_recent_auth(max_age=300))])

Without the middleware, :class:`JWTBearer` verifies the token itself for the routes that
ask for it (the seeds' ``checkIfAuthenticated``)::

    check_if_authenticated = JWTBearer(verifier=verifier)
    @app.get("/api/me")
    async def me(user: Annotated[Claims, Depends(check_if_authenticated)]): ...

Errors are :class:`GuardError` subclasses; :func:`install_problem_handler` renders them (and
every other jotauth error) as problem+json through :mod:`jotauth.problems` (the middleware
also renders those raised behind it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Literal

from jotauth.extras import as_missing_extra

try:
    from fastapi import Depends, FastAPI, Request
    from starlette.responses import Response
except ModuleNotFoundError as missing:  # one line naming the extra, not a bare "no fastapi"
    raise (as_missing_extra(missing, needed_by="jotauth.guard.fastapi") or missing) from None

from jotauth.errors import JotauthError
from jotauth.jose import Claims
from jotauth.problems import DEFAULT_REALM, ProblemRenderer
from jotauth.verify import TokenVerifier

from .authenticator import Authenticator
from .credentials import TOKEN_SOURCES, TokenSource
from .csrf import CsrfPolicy
from .errors import InsufficientScope, MissingCredentials
from .identity import TokenUser, claims_of, set_identity
from .step_up import AmrMatch, StepUp
from .step_up import require_amr as amr_requirement
from .step_up import require_recent_auth as recent_auth_requirement

# The dependencies are ``async def`` although they never await: FastAPI runs plain ``def``
# dependencies in a thread pool, which costs more than the whole token check.


async def current_user(request: Request) -> Claims:
    """The verified claims of this request (set by the middleware or :class:`JWTBearer`).

    No claims means the route is not behind either: 401, failing closed.
    """
    claims = claims_of(request.scope)
    if claims is None:
        raise MissingCredentials()
    return claims


async def optional_user(request: Request) -> Claims | None:
    """The verified claims of this request, or None when it was not authenticated."""
    return claims_of(request.scope)


CurrentUser = Annotated[Claims, Depends(current_user)]
OptionalUser = Annotated[Claims | None, Depends(optional_user)]
UserDependency = Callable[..., Claims] | Callable[..., Awaitable[Claims]]


def _scope_checker(
    scopes: tuple[str, ...], user: UserDependency
) -> Callable[[Claims], Awaitable[Claims]]:
    if not scopes or any(not s or " " in s for s in scopes):
        raise ValueError("require_scopes needs scope names without spaces")

    # A default, not Annotated: string annotations cannot see this closure's ``user``.
    async def check(claims: Claims = Depends(user)) -> Claims:  # noqa: B008
        if not claims.scope.issuperset(scopes):
            raise InsufficientScope(
                f"This resource needs the scope {' '.join(scopes)}.", scopes=scopes
            )
        return claims

    return check


def _role_checker(
    roles: tuple[str, ...], user: UserDependency
) -> Callable[[Claims], Awaitable[Claims]]:
    if not roles or any(not r for r in roles):
        raise ValueError("require_roles needs role names")

    # A default, not Annotated: string annotations cannot see this closure's ``user``.
    async def check(claims: Claims = Depends(user)) -> Claims:  # noqa: B008
        if not claims.roles.issuperset(roles):
            raise InsufficientScope(f"This resource needs the role {', '.join(roles)}.")
        return claims

    return check


def _step_up_checker(
    need: StepUp, user: UserDependency, verifier: TokenVerifier | None
) -> Callable[[Request, Claims], Awaitable[Claims]]:
    # ``verifier`` None: the middleware verified the token; its verifier (clock, leeway)
    # travels with the user in ``request.scope``.
    async def check(request: Request, claims: Claims = Depends(user)) -> Claims:  # noqa: B008
        checking = verifier
        if checking is None:
            token_user = request.scope.get("user")
            checking = token_user.verifier if isinstance(token_user, TokenUser) else None
            if checking is None:
                raise MissingCredentials()  # not verified by the guard: fail closed
        need.enforce(claims, checking)
        return claims

    return check


def require_scopes(*scopes: str) -> Callable[[Claims], Awaitable[Claims]]:
    """Dependency: the current user, who must hold every one of ``scopes`` (else 403
    ``insufficient_scope`` with ``WWW-Authenticate: Bearer error=…, scope=…``, RFC 6750 §3.1)."""
    return _scope_checker(scopes, current_user)


def require_roles(*roles: str) -> Callable[[Claims], Awaitable[Claims]]:
    """Dependency: the current user, who must hold every one of ``roles`` (else 403
    ``insufficient_scope``)."""
    return _role_checker(roles, current_user)


def require_amr(*values: str, match: AmrMatch = "all") -> Callable[..., Awaitable[Claims]]:
    """Dependency: the current user, whose token's ``amr`` must contain every one of
    ``values`` (``match="any"``: one of them), e.g. ``require_amr("mfa")``; else 403
    ``insufficient_user_authentication`` with RFC 9470's challenge."""
    return _step_up_checker(amr_requirement(*values, match=match), current_user, None)


def require_recent_auth(*, max_age: int) -> Callable[..., Awaitable[Claims]]:
    """Dependency: the current user, who must have signed in at most ``max_age`` seconds
    ago (the token's ``auth_time``, on the verifier's clock with its leeway); else 403
    ``insufficient_user_authentication`` with ``max_age="N"`` in the challenge."""
    return _step_up_checker(recent_auth_requirement(max_age=max_age), current_user, None)


def require_step_up(need: StepUp) -> Callable[..., Awaitable[Claims]]:
    """Dependency for a combined requirement, e.g. ``require_amr("mfa") &
    require_recent_auth(max_age=300)`` from :mod:`jotauth.guard`."""
    return _step_up_checker(need, current_user, None)


class JWTBearer:
    """Per-route protection without the middleware: a dependency that verifies the token.

    ``required=False`` makes it optional: no token gives None, a bad token is still 401.
    Same options as the middleware, except silent refresh (a dependency cannot set cookies
    on the response it does not own; use the middleware for that).
    """

    def __init__(
        self,
        *,
        verifier: TokenVerifier,
        token_sources: Sequence[TokenSource] = TOKEN_SOURCES,
        cookie_name: str | None = None,
        csrf: CsrfPolicy | Literal["off"] | None = None,
        required: bool = True,
    ) -> None:
        self.authenticator = Authenticator(
            verifier=verifier, token_sources=token_sources, cookie_name=cookie_name, csrf=csrf
        )
        self.required = required

    async def __call__(self, request: Request) -> Claims | None:
        """Verify the request's token; the user also goes to ``request.user`` and
        ``request.state.user``, its scopes to ``request.auth``, as with the middleware."""
        claims = claims_of(request.scope)
        if claims is not None:
            return claims  # already verified by the middleware
        view = self.authenticator.view(request.scope)
        if not self.required and self.authenticator.locate(view) is None:
            return None
        authenticated = await self.authenticator.authenticate(view)
        set_identity(request.scope, authenticated.claims, self.authenticator.verifier)
        return authenticated.claims

    async def _required_user(self, request: Request) -> Claims:
        claims = await self(request)
        if claims is None:
            raise MissingCredentials()
        return claims

    def require_scopes(self, *scopes: str) -> Callable[[Claims], Awaitable[Claims]]:
        """Like :func:`require_scopes`, verifying the token through this dependency."""
        return _scope_checker(scopes, self._required_user)

    def require_roles(self, *roles: str) -> Callable[[Claims], Awaitable[Claims]]:
        """Like :func:`require_roles`, verifying the token through this dependency."""
        return _role_checker(roles, self._required_user)

    def require_amr(
        self, *values: str, match: AmrMatch = "all"
    ) -> Callable[..., Awaitable[Claims]]:
        """Like :func:`require_amr`, verifying the token through this dependency."""
        need = amr_requirement(*values, match=match)
        return _step_up_checker(need, self._required_user, self.authenticator.verifier)

    def require_recent_auth(self, *, max_age: int) -> Callable[..., Awaitable[Claims]]:
        """Like :func:`require_recent_auth`, verifying the token through this dependency."""
        need = recent_auth_requirement(max_age=max_age)
        return _step_up_checker(need, self._required_user, self.authenticator.verifier)

    def require_step_up(self, need: StepUp) -> Callable[..., Awaitable[Claims]]:
        """Like :func:`require_step_up`, verifying the token through this dependency."""
        return _step_up_checker(need, self._required_user, self.authenticator.verifier)


def install_problem_handler(app: FastAPI, *, realm: str = DEFAULT_REALM) -> None:
    """Render every jotauth error raised by a route or dependency as problem+json.

    That is the guard's errors and any other :class:`~jotauth.errors.JotauthError` (a token
    error from calling the verifier directly is a 401, not a 500).
    """
    problems = ProblemRenderer(realm)

    async def on_jotauth_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, JotauthError)
        problem = problems.render(exc)
        response = Response(problem.body, status_code=problem.status)
        response.raw_headers = list(problem.headers)
        return response

    app.add_exception_handler(JotauthError, on_jotauth_error)
