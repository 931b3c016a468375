"""Flask (WSGI) integration over the same :class:`~jotauth.verify.TokenVerifier`::

    verifier = TokenVerifier(issuer=…, audience=…, keys=SyncJWKSClient(jwks_url))
    auth = JotAuth(app, verifier=verifier)

    @app.get("/api/lessons")
    @jwt_required()
    def lessons():
        return {"user": current_user.sub}

    @app.post("/api/lessons")
    @jwt_required(scopes=("lessons:write",))
    def add_lesson(): ...

    @app.delete("/api/account")
    @require_amr("mfa")
    @require_recent_auth(max_age=300)
    def delete_account(): ...

Same token sources, CSRF policy, problem+json and RFC 6750 headers as the ASGI guard.
Configuration is the extension object's, not ``app.config`` read at call time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, ParamSpec, TypeVar, cast, overload

from jotauth.extras import as_missing_extra

try:
    from flask import Flask, Response, current_app, g, request
    from werkzeug.local import LocalProxy
except ModuleNotFoundError as missing:  # one line naming the extra, not a bare "no flask"
    raise (as_missing_extra(missing, needed_by="jotauth.guard.flask") or missing) from None

from jotauth.errors import JotauthError
from jotauth.jose import Claims
from jotauth.problems import DEFAULT_REALM, ProblemRenderer
from jotauth.verify import TokenVerifier

from .authenticator import Authenticator, RequestView
from .credentials import TOKEN_SOURCES, TokenSource
from .csrf import CsrfPolicy
from .errors import InsufficientScope
from .step_up import AmrMatch, StepUp
from .step_up import require_amr as amr_requirement
from .step_up import require_recent_auth as recent_auth_requirement

P = ParamSpec("P")
R = TypeVar("R")
EXTENSION_KEY = "jotauth"


def _request_view(csrf_header: str) -> RequestView:
    view = RequestView(request.method)
    headers = request.headers
    view.authorization = [v.encode("latin-1") for v in headers.getlist("Authorization")]
    view.cookie = headers.get("Cookie")
    view.csrf_header = headers.get(csrf_header)
    view.origin = headers.get("Origin")
    view.fetch_site = headers.get("Sec-Fetch-Site")
    view.host = headers.get("Host")
    return view


class JotAuth:
    """The Flask extension: verifies access tokens and renders guard errors."""

    def __init__(
        self,
        app: Flask | None = None,
        *,
        verifier: TokenVerifier,
        token_sources: Sequence[TokenSource] = TOKEN_SOURCES,
        cookie_name: str | None = None,
        csrf: CsrfPolicy | Literal["off"] | None = None,
        realm: str = DEFAULT_REALM,
    ) -> None:
        self.authenticator = Authenticator(
            verifier=verifier, token_sources=token_sources, cookie_name=cookie_name, csrf=csrf
        )
        self.problems = ProblemRenderer(realm)
        self._csrf_header = (
            self.authenticator.csrf.header_name if self.authenticator.csrf else "X-XSRF-TOKEN"
        )
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register on ``app``: the extension entry and the problem+json error handler."""
        app.extensions[EXTENSION_KEY] = self
        app.register_error_handler(JotauthError, self.problem_response)

    def problem_response(self, error: JotauthError) -> Response:
        """``error`` as an RFC 9457 response with the RFC 6750 challenge."""
        problem = self.problems.render(error)
        headers = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in problem.headers
        ]
        return Response(problem.body, status=problem.status, headers=headers)

    def authenticate(self, *, optional: bool = False) -> Claims | None:
        """Verify this request's token (blocking); its claims go to ``g.user``."""
        cached = g.get("user")
        if isinstance(cached, Claims):
            return cached
        view = _request_view(self._csrf_header)
        if optional and self.authenticator.locate(view) is None:
            return None
        claims = self.authenticator.authenticate_sync(view).claims
        g.user = claims
        return claims


def _extension() -> JotAuth:
    extension = current_app.extensions.get(EXTENSION_KEY)
    if not isinstance(extension, JotAuth):
        raise RuntimeError("JotAuth(app, verifier=…) must be set up before @jwt_required")
    return extension


@overload
def jwt_required(view: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def jwt_required(
    *, scopes: Iterable[str] = (), roles: Iterable[str] = (), optional: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def jwt_required(
    view: Callable[P, R] | None = None,
    /,
    *,
    scopes: Iterable[str] = (),
    roles: Iterable[str] = (),
    optional: bool = False,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: the view needs a valid access token (and ``scopes``/``roles`` if given).

    Usable bare (``@jwt_required``) or with options (``@jwt_required(roles=["admin"])``).
    ``optional=True``: no token runs the view with ``current_user`` None; a bad one is 401.
    """
    if view is not None:
        decorate_bare: Callable[[Callable[P, R]], Callable[P, R]] = jwt_required()
        return decorate_bare(view)
    needed_scopes = tuple(scopes)
    needed_roles = tuple(roles)

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            claims = _extension().authenticate(optional=optional)
            if claims is not None:
                if not claims.scope.issuperset(needed_scopes):
                    raise InsufficientScope(
                        f"This resource needs the scope {' '.join(needed_scopes)}.",
                        scopes=needed_scopes,
                    )
                if not claims.roles.issuperset(needed_roles):
                    raise InsufficientScope(
                        f"This resource needs the role {', '.join(needed_roles)}."
                    )
            return view(*args, **kwargs)

        return guarded

    return decorate


def require_amr(
    *values: str, match: AmrMatch = "all"
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: the view needs a valid token whose ``amr`` contains every one of
    ``values`` (``match="any"``: one of them), e.g. ``@require_amr("mfa")``; else 403
    ``insufficient_user_authentication``. Authenticates by itself; stacks with
    :func:`jwt_required` (the token is verified once per request)."""
    return require_step_up(amr_requirement(*values, match=match))


def require_recent_auth(*, max_age: int) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: the user must have signed in at most ``max_age`` seconds ago (the
    token's ``auth_time``, on the verifier's clock with its leeway); else 403
    ``insufficient_user_authentication`` with ``max_age="N"`` in the challenge."""
    return require_step_up(recent_auth_requirement(max_age=max_age))


def require_step_up(need: StepUp) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator for a combined requirement (``require_amr("mfa") &
    require_recent_auth(max_age=300)`` from :mod:`jotauth.guard`)."""
    if not isinstance(need, StepUp):
        raise TypeError(f"not a step-up requirement: {need!r}")

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            extension = _extension()
            claims = extension.authenticate()
            assert claims is not None  # not optional: no token raised already
            need.enforce(claims, extension.authenticator.verifier)
            return view(*args, **kwargs)

        return guarded

    return decorate


def _current_user() -> Claims | None:
    return cast(Claims | None, g.get("user"))


current_user: Any = LocalProxy(_current_user)
"""The verified claims of the current request (``g.user``), None when not authenticated."""
