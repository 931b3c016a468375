"""The JSON API of DESIGN §5: login, refresh, logout, me, sessions, signup, password."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from jotauth import jose
from jotauth.server.context import Context, ServerContext
from jotauth.server.flows import CsrfFailedAfterRotation, client_of
from jotauth.server.problems import (
    FeatureDisabled,
    MissingRefreshToken,
    NotAuthenticated,
    UnsupportedMediaType,
    problem_schema,
)
from jotauth.server.schemas import (
    LoginRequest,
    MeResponse,
    PasswordChangeRequest,
    RefreshRequest,
    SessionList,
    SignupRequest,
    TokenResponse,
)
from jotauth.sessions import SessionRevoked

_PROBLEM = problem_schema()
_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {401: _PROBLEM, 403: _PROBLEM, 503: _PROBLEM}
_INPUT_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _PROBLEM,
    413: _PROBLEM,
    415: _PROBLEM,
    422: _PROBLEM,
}
_TOKEN_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": TokenResponse, "description": "Body delivery"},
    204: {"description": "Cookie delivery: the tokens are in Set-Cookie"},
}


def require_json(request: Request) -> None:
    """Refuse request bodies that are not JSON (415), before FastAPI tries to parse them.

    Also a CSRF defence: HTML forms cannot send ``application/json`` cross-site without a
    CORS preflight.
    """
    if request.headers.get("content-length") in (None, "0") and not request.headers.get(
        "transfer-encoding"
    ):
        return  # no body at all: let validation say which fields are missing
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise UnsupportedMediaType()


router = APIRouter(
    prefix="/api/auth",
    tags=["auth"],
    dependencies=[Depends(require_json)],
    responses={**_INPUT_ERRORS, 500: _PROBLEM},
)


@dataclass(frozen=True)
class Caller:
    """The verified access token of a request and how it was presented."""

    claims: jose.Claims
    session_id: str
    via_cookie: bool


async def authenticated(request: Request, context: Context) -> Caller:
    """Dependency: the caller's access token from ``Authorization: Bearer`` or the cookie,
    refused (401 ``session_revoked``) when its session is no longer active."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("The Authorization header must be 'Bearer <token>'.")
        via_cookie = False
        token = token.strip()
    else:
        token = request.cookies.get(context.cookies.access.name, "")
        via_cookie = True
    if not token:
        raise NotAuthenticated()
    claims = context.verifier.verify(token)
    if not claims.sid:
        raise NotAuthenticated("The access token is not bound to a session.")
    # Resource servers accept an access token until it expires (stateless by design, DESIGN
    # §3). The auth server holds the store, so its own account endpoints also check that the
    # session is still active (one primary-key read): after logout-all or a password change,
    # a copied access token can no longer list sessions or change the password.
    session = await context.sessions.get_session(claims.sid)
    if session is None or session.user_id != claims.sub or not session.is_active(context.clock()):
        raise SessionRevoked()
    return Caller(claims=claims, session_id=claims.sid, via_cookie=via_cookie)


AuthenticatedCaller = Annotated[Caller, Depends(authenticated)]


def _check_csrf(request: Request, context: ServerContext, caller: Caller) -> None:
    # Only cookie-authenticated requests can be forged cross-site; a Bearer token is
    # never attached by the browser on its own.
    if caller.via_cookie:
        context.csrf.check_session_request(
            header=request.headers.get(context.settings.csrf_header_name),
            cookie=request.cookies.get(context.cookies.csrf.name),
            session_id=caller.session_id,
        )


@router.post(
    "/login",
    summary="Log in with email and password",
    response_model=None,
    responses={**_TOKEN_RESPONSES, 401: _PROBLEM, 403: _PROBLEM, 429: _PROBLEM, 503: _PROBLEM},
)
async def login(request: Request, body: LoginRequest, context: Context) -> Response:
    """Create a session; tokens by cookie (204) or in the body (200)."""
    # Login CSRF: a forged login would sign the victim into the attacker's account.
    context.origins.check_login_request(request)
    native = body.client == "native"
    signed_in = await context.flows.login(
        email=body.email, password=body.password, client=client_of(request), native=native
    )
    return context.flows.deliver(signed_in, delivery=body.delivery, native=native)


def _preflighted_body_refresh(
    request: Request, context: ServerContext, body: RefreshRequest | None, header: str | None
) -> bool:
    """A header-less body-delivery refresh that CORS and ``Origin`` already protect.

    A body-delivery SPA on a sibling origin cannot read the auth server's host-only
    ``XSRF-TOKEN`` cookie, so it cannot echo it. Its refresh is a JSON POST (``require_json``):
    browsers preflight that cross-origin and only allowlisted origins pass (CORS), and its
    ``Origin`` header must be present and allowlisted (OWASP CSRF cheat sheet, "custom
    request headers" and "verifying origin"). The access token travels in the body, readable
    only by those origins. When the header *is* sent, it is checked in full.
    """
    if header is not None or body is None or body.delivery != "body":
        return False
    origin = request.headers.get("origin")
    return origin is not None and context.origins.is_allowed(origin)


@router.post(
    "/refresh",
    summary="Rotate the refresh token and get a new access token",
    response_model=None,
    responses={**_TOKEN_RESPONSES, **_AUTH_ERRORS},
)
async def refresh(
    request: Request,
    context: Context,
    body: RefreshRequest | None = None,
) -> Response:
    """Rotate the session's refresh token (cookie, or JSON ``refresh_token`` for natives)."""
    if body is not None and body.refresh_token:
        token, from_cookie = body.refresh_token, False
    else:
        token, from_cookie = request.cookies.get(context.cookies.refresh.name, ""), True
    if not token:
        raise MissingRefreshToken()
    csrf: tuple[str | None, str | None] | None = None
    header = request.headers.get(context.settings.csrf_header_name)
    if from_cookie and not _preflighted_body_refresh(request, context, body, header):
        csrf = (header, request.cookies.get(context.cookies.csrf.name))
    try:
        signed_in = await context.flows.refresh(
            refresh_token=token,
            client=client_of(request),
            csrf=csrf,
            presented_in="cookie" if from_cookie else "body",
        )
    except CsrfFailedAfterRotation as error:
        response = error.problem().to_response()
        context.flows.set_cookies(response, error.signed_in, with_access=False)
        return response
    delivery = (body.delivery if body else None) or ("cookie" if from_cookie else "body")
    return context.flows.deliver(signed_in, delivery=delivery, native=not from_cookie)


@router.post(
    "/logout",
    summary="End this session",
    status_code=204,
    response_class=Response,
    responses=_AUTH_ERRORS,
)
async def logout(request: Request, context: Context) -> Response:
    """Revoke the session and clear every auth cookie. Idempotent."""
    await context.flows.logout_api(request)
    response = Response(status_code=204)
    context.cookies.clear_all(response)
    return response


@router.get("/me", summary="The logged-in user", response_model=MeResponse, responses=_AUTH_ERRORS)
async def me(caller: AuthenticatedCaller, context: Context) -> MeResponse:
    """``{id, email, name, roles, scope}`` of the access token's user."""
    return await context.flows.me(caller.claims)


@router.get(
    "/sessions",
    summary="The user's active sessions",
    response_model=SessionList,
    responses=_AUTH_ERRORS,
)
async def list_sessions(caller: AuthenticatedCaller, context: Context) -> SessionList:
    """Every active session of the user; ``current`` marks this one."""
    return await context.flows.list_sessions(
        user_id=caller.claims.sub, current_session_id=caller.session_id
    )


@router.delete(
    "/sessions/{session_id}",
    summary="Revoke one of the user's sessions",
    status_code=204,
    response_class=Response,
    responses={**_AUTH_ERRORS, 404: _PROBLEM},
)
async def delete_session(
    request: Request,
    session_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,128}$")],
    caller: AuthenticatedCaller,
    context: Context,
) -> Response:
    """Revoke ``session_id`` if it is the caller's own (404 otherwise)."""
    _check_csrf(request, context, caller)
    await context.flows.revoke_session(
        user_id=caller.claims.sub, session_id=session_id, client=client_of(request)
    )
    response = Response(status_code=204)
    if session_id == caller.session_id:
        context.cookies.clear_all(response)
    return response


@router.post(
    "/logout-all",
    summary="End every session of the user",
    status_code=204,
    response_class=Response,
    responses=_AUTH_ERRORS,
)
async def logout_all(
    request: Request,
    caller: AuthenticatedCaller,
    context: Context,
) -> Response:
    """Revoke all of the user's sessions, this one included, and clear the cookies."""
    _check_csrf(request, context, caller)
    await context.flows.logout_all(user_id=caller.claims.sub, client=client_of(request))
    response = Response(status_code=204)
    context.cookies.clear_all(response)
    return response


@router.post(
    "/signup",
    summary="Create an account (when enabled)",
    response_model=None,
    responses={
        **_TOKEN_RESPONSES,
        403: _PROBLEM,
        404: _PROBLEM,
        409: _PROBLEM,
        429: _PROBLEM,
        503: _PROBLEM,
    },
)
async def signup(request: Request, body: SignupRequest, context: Context) -> Response:
    """Create a user and log them in, delivering tokens like ``/login``.

    Throttled like login (429). A taken address is a 409 ``user_exists``: a sign-up form
    necessarily tells whether an address is registered, so the throttle is what bounds it.
    """
    if not context.settings.signup_enabled:
        raise FeatureDisabled("Sign-up is not enabled on this server.")
    context.origins.check_login_request(request)
    native = body.client == "native"
    signed_in = await context.flows.signup(
        email=body.email,
        password=body.password,
        name=body.name,
        client=client_of(request),
        native=native,
    )
    return context.flows.deliver(signed_in, delivery=body.delivery, native=native)


@router.post(
    "/password",
    summary="Change the password (revokes the user's other sessions)",
    status_code=204,
    response_class=Response,
    responses={**_AUTH_ERRORS, 429: _PROBLEM},
)
async def change_password(
    request: Request,
    body: PasswordChangeRequest,
    caller: AuthenticatedCaller,
    context: Context,
) -> Response:
    """Check the current password, set the new one, end every other session."""
    _check_csrf(request, context, caller)
    await context.flows.change_password(
        user_id=caller.claims.sub,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session_id=caller.session_id,
        client=client_of(request),
    )
    return Response(status_code=204)
