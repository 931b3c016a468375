"""The JSON API of DESIGN §5: login, refresh, logout, me, sessions, signup, password."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from jotauth import jose
from jotauth.accounts import CheckYourMail, MfaRequired, SignedIn
from jotauth.federation import LinkedIdentity
from jotauth.http.bearer import MalformedBearer, bearer_token
from jotauth.http.csrf import double_submit_ok
from jotauth.server.context import Context, ServerContext
from jotauth.server.delivery import answered_then, client_of, request_cookie
from jotauth.server.problems import (
    CsrfFailed,
    FeatureDisabled,
    MalformedAuthorizationHeader,
    MissingRefreshToken,
    NotAuthenticated,
    UnsupportedMediaType,
    problem_schema,
)
from jotauth.server.schemas import (
    FirstPasswordRequest,
    IdentityList,
    LinkedIdentityInfo,
    LoginRequest,
    MeResponse,
    MfaRequiredResponse,
    PasswordChangeRequest,
    RefreshRequest,
    SessionInfo,
    SessionList,
    SignupRequest,
    TokenResponse,
)
from jotauth.sessions import SessionInfo as SessionRecord

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


async def require_json(request: Request) -> None:
    """Refuse request bodies that are not JSON (415), before FastAPI tries to parse them.

    Also a CSRF defence: HTML forms cannot send ``application/json`` cross-site without a
    CORS preflight. ``async`` so that FastAPI calls it inline, not in its thread pool.
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
    session: SessionRecord


async def authenticated(request: Request, context: Context) -> Caller:
    """Dependency: the caller's access token from ``Authorization: Bearer`` or the cookie,
    refused (401 ``session_revoked``) when its session is no longer active."""
    claims, via_cookie = verified_access_token(request, context)
    session = await context.accounts.own_account.live_session(claims)
    return Caller(claims=claims, session_id=session.id, via_cookie=via_cookie, session=session)


def verified_access_token(request: Request, context: ServerContext) -> tuple[jose.Claims, bool]:
    """The claims of the request's access token (Bearer or cookie; its session not checked
    yet) and whether it came in the cookie."""
    header_token = bearer_of(request)
    if header_token is not None:
        token, via_cookie = header_token, False
    else:
        token, via_cookie = request_cookie(request, context.cookies.access.name) or "", True
    if not token:
        raise NotAuthenticated()
    return context.verifier.verify(token), via_cookie


def bearer_of(request: Request) -> str | None:
    """The request's Bearer token, or None (no ``Authorization`` header, or another scheme:
    no Bearer credentials, as the guard reads it too). A malformed or repeated header is a
    400 ``malformed_authorization`` (RFC 6750 §3.1 ``invalid_request``)."""
    values = [value for name, value in request.headers.raw if name == b"authorization"]
    try:
        token = bearer_token(values)
    except MalformedBearer as error:
        raise MalformedAuthorizationHeader(error.detail) from error
    return None if token is None else token.decode("ascii")


AuthenticatedCaller = Annotated[Caller, Depends(authenticated)]


def _check_csrf(request: Request, context: ServerContext, caller: Caller) -> None:
    # Only cookie-authenticated requests can be forged cross-site; a Bearer token is
    # never attached by the browser on its own.
    if caller.via_cookie:
        context.csrf.check_session_request(
            header=request.headers.get(context.settings.csrf_header_name),
            cookie=request_cookie(request, context.cookies.csrf.name),
            session_id=caller.session_id,
        )


_LOGIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": TokenResponse | MfaRequiredResponse,
        "description": "Body delivery, or mfa_required: a second factor is needed (no session)",
    },
    204: _TOKEN_RESPONSES[204],
}


@router.post(
    "/login",
    summary="Log in with email and password",
    response_model=None,
    responses={**_LOGIN_RESPONSES, 401: _PROBLEM, 403: _PROBLEM, 429: _PROBLEM, 503: _PROBLEM},
)
async def login(request: Request, body: LoginRequest, context: Context) -> Response:
    """Create a session; tokens by cookie (204) or in the body (200). A user with a second
    factor gets ``{mfa_required: true, mfa_token, methods}`` instead (200, no session):
    ``POST /api/auth/login/mfa`` finishes the login, delivered as asked here."""
    # Login CSRF: a forged login would sign the victim into the attacker's account.
    context.origins.check_login_request(request)
    native = body.client == "native"
    signed_in = await context.accounts.sign_in.login(
        email=body.email,
        password=body.password,
        client=client_of(request),
        refresh_delivery="body" if native else "cookie",
        delivery="body" if native else body.delivery,
    )
    if isinstance(signed_in, MfaRequired):
        return context.delivery.mfa_required(signed_in)
    return context.delivery.deliver(signed_in, delivery=body.delivery, native=native)


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
        token, from_cookie = request_cookie(request, context.cookies.refresh.name) or "", True
    if not token:
        raise MissingRefreshToken()
    header = request.headers.get(context.settings.csrf_header_name)
    check_csrf = from_cookie and not _preflighted_body_refresh(request, context, body, header)
    if check_csrf and not double_submit_ok(
        header, request_cookie(request, context.cookies.csrf.name)
    ):
        # The cheap half first, before any state changes: header present and equal to the
        # cookie, which a cross-site page can neither read nor set.
        raise CsrfFailed()
    signed_in = await context.accounts.sign_in.refresh(
        refresh_token=token, presented_in="cookie" if from_cookie else "body"
    )
    if check_csrf and not context.delivery.csrf_bound_to(header, signed_in.session_id):
        return _csrf_failed_after_rotation(context, signed_in)
    delivery = (body.delivery if body else None) or ("cookie" if from_cookie else "body")
    return context.delivery.deliver(signed_in, delivery=delivery, native=not from_cookie)


def _csrf_failed_after_rotation(context: ServerContext, signed_in: SignedIn) -> Response:
    """The XSRF token belongs to another session, found out only after the rotation.

    The rotated cookies still go to the browser (the legitimate client's chain must not
    break, or its next refresh would look like token reuse); no access token is delivered.
    """
    response = CsrfFailed().problem().to_response()
    context.delivery.set_cookies(response, signed_in, with_access=False)
    return response


@router.post(
    "/logout",
    summary="End this session",
    status_code=204,
    response_class=Response,
    responses=_AUTH_ERRORS,
)
async def logout(request: Request, context: Context) -> Response:
    """Revoke the session and clear every auth cookie. Idempotent."""
    await _end_requesting_session(request, context)
    response = Response(status_code=204)
    context.cookies.clear_all(response)
    return response


@router.get("/me", summary="The logged-in user", response_model=MeResponse, responses=_AUTH_ERRORS)
async def me(request: Request, context: Context) -> Response:
    """``{id, email, email_verified, name, roles, scope}`` of the access token's user, with
    its second-factor methods and how and when this session authenticated (``amr``,
    ``auth_time``)."""
    # The session check of ``authenticated`` happens in the overview's one read.
    claims, _ = verified_access_token(request, context)
    overview = await context.accounts.own_account.overview(claims)
    profile = overview.profile
    body = MeResponse(
        id=profile.id,
        email=profile.email,
        email_verified=profile.email_verified,
        name=profile.name or None,
        roles=list(profile.roles),
        scope=" ".join(profile.scope),
        identities=_identity_infos(overview.identities),
        has_password=overview.has_password,
        second_factors=list(overview.second_factors),
        amr=list(overview.session.amr),
        auth_time=int(overview.session.authenticated_at),
    )
    # The model is ours and already valid: serialised once here, not validated again by
    # FastAPI's response_model (which documents it).
    return Response(body.model_dump_json(), media_type="application/json")


async def _identities(context: ServerContext, user_id: str) -> list[LinkedIdentityInfo]:
    return _identity_infos(await context.federation.identities_of(user_id))


def _identity_infos(identities: Iterable[LinkedIdentity]) -> list[LinkedIdentityInfo]:
    return [
        LinkedIdentityInfo(
            id=identity.id,
            provider=identity.provider,
            issuer=identity.issuer,
            email=identity.email,
            linked_at=identity.created_at,
            last_used_at=identity.last_used_at,
        )
        for identity in identities
    ]


@router.get(
    "/identities",
    summary="The provider identities linked to the account",
    response_model=IdentityList,
    responses=_AUTH_ERRORS,
)
async def list_identities(caller: AuthenticatedCaller, context: Context) -> IdentityList:
    """Every linked identity (provider, issuer, the email it had when linked)."""
    return IdentityList(identities=await _identities(context, caller.claims.sub))


@router.delete(
    "/identities/{identity_id}",
    summary="Unlink a provider identity (never the account's last way to sign in)",
    status_code=204,
    response_class=Response,
    responses={**_AUTH_ERRORS, 404: _PROBLEM, 409: _PROBLEM},
)
async def unlink_identity(
    request: Request,
    identity_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
    caller: AuthenticatedCaller,
    context: Context,
) -> Response:
    """Unlink one of the caller's identities; 409 ``last_sign_in_method`` when it is the
    only way left to sign in (no password, no other identity)."""
    _check_csrf(request, context, caller)
    await context.federation.unlink(caller.claims.sub, identity_id)
    return Response(status_code=204)


@router.get(
    "/sessions",
    summary="The user's active sessions",
    response_model=SessionList,
    responses=_AUTH_ERRORS,
)
async def list_sessions(caller: AuthenticatedCaller, context: Context) -> SessionList:
    """Every active session of the user; ``current`` marks this one."""
    own = await context.accounts.own_account.sessions(
        user_id=caller.claims.sub, current_session_id=caller.session_id
    )
    return SessionList(
        sessions=[
            SessionInfo(
                id=s.id,
                created_at=int(s.created_at),
                last_used_at=int(s.last_used_at),
                expires_at=int(min(s.idle_expires_at, s.expires_at)),
                user_agent=s.user_agent or None,
                ip=s.ip or None,
                current=s.id == own.current_session_id,
                amr=list(s.amr),
            )
            for s in own.sessions
        ]
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
    await context.accounts.sign_out.end_own_session(
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
    await context.accounts.sign_out.logout_all(user_id=caller.claims.sub, client=client_of(request))
    response = Response(status_code=204)
    context.cookies.clear_all(response)
    return response


@router.post(
    "/signup",
    summary="Create an account (when enabled)",
    response_model=None,
    responses={
        **_TOKEN_RESPONSES,
        202: {"description": "Check your mail (enumeration-safe sign-up, or verification first)"},
        403: _PROBLEM,
        404: _PROBLEM,
        409: _PROBLEM,
        429: _PROBLEM,
        503: _PROBLEM,
    },
)
async def signup(request: Request, body: SignupRequest, context: Context) -> Response:
    """Create a user and log them in, delivering tokens like ``/login``; a verification
    mail goes to the address.

    Throttled like login (429). A taken address is a 409 ``user_exists`` unless
    ``signup_enumeration_safe`` is set: then every sign-up answers 202 and the outcome goes
    by mail. With ``require_verified_email`` it answers 202 too (no session before the
    address is verified).
    """
    if not context.settings.signup_enabled:
        raise FeatureDisabled("Sign-up is not enabled on this server.")
    context.origins.check_login_request(request)
    native = body.client == "native"
    signed_in = await context.accounts.registration.sign_up(
        email=body.email,
        password=body.password,
        name=body.name or "",
        client=client_of(request),
        refresh_delivery="body" if native else "cookie",
        delivery="body" if native else body.delivery,
    )
    if isinstance(signed_in, MfaRequired):
        # The MFA policy covers the new account: it enrols a second factor first.
        return context.delivery.mfa_required(signed_in)
    if isinstance(signed_in, CheckYourMail):
        later = signed_in.later
        return Response(
            status_code=202,
            background=None if later is None else answered_then(context, later, what="signup"),
        )
    return context.delivery.deliver(signed_in, delivery=body.delivery, native=native)


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
    await context.accounts.own_account.change_password(
        user_id=caller.claims.sub,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session_id=caller.session_id,
        client=client_of(request),
    )
    return Response(status_code=204)


@router.post(
    "/password/set",
    summary="Set the first password of an account created through another provider",
    status_code=204,
    response_class=Response,
    responses={**_AUTH_ERRORS, 409: _PROBLEM},
)
async def set_first_password(
    request: Request,
    body: FirstPasswordRequest,
    caller: AuthenticatedCaller,
    context: Context,
) -> Response:
    """An account without a password gets one (409 ``password_already_set`` otherwise)."""
    _check_csrf(request, context, caller)
    await context.federation.set_first_password(
        user_id=caller.claims.sub,
        session=caller.session,
        password=body.new_password,
        client=client_of(request),
    )
    return Response(status_code=204)


async def _end_requesting_session(request: Request, context: ServerContext) -> None:
    """End the session a logout request belongs to (Bearer, access or refresh cookie).

    Cookie-authenticated logouts need the CSRF header (a forged logout is a nuisance, and
    with ``cookie_domain`` a sibling site could otherwise end sessions at will); every
    check comes before any change, so a refused logout leaves the session as it was.
    Without any credential this is a no-op: logout is idempotent.
    """
    client = client_of(request)
    sign_out = context.accounts.sign_out
    token = bearer_of(request)
    if token is not None:
        bearer = context.verifier.verify(token)
        if bearer.sid:
            await sign_out.logout(session_id=bearer.sid, user_id=bearer.sub, client=client)
        return
    header = request.headers.get(context.settings.csrf_header_name)
    access_cookie = request_cookie(request, context.cookies.access.name)
    refresh_cookie = request_cookie(request, context.cookies.refresh.name)
    if not access_cookie and not refresh_cookie:
        return
    if not double_submit_ok(header, request_cookie(request, context.cookies.csrf.name)):
        raise CsrfFailed()
    claims = context.verifier.verify_or_none(access_cookie)
    if claims is not None and claims.sid:
        if not context.delivery.csrf_bound_to(header, claims.sid):
            raise CsrfFailed()
        await sign_out.logout(session_id=claims.sid, user_id=claims.sub, client=client)
        return
    if refresh_cookie:
        # The access token expired: find the session through its refresh token.
        session = await sign_out.session_of_refresh_token(refresh_cookie)
        if session is None:
            return  # already ended or unknown: nothing left to revoke
        if not context.delivery.csrf_bound_to(header, session.id):
            raise CsrfFailed()
        await sign_out.logout(session_id=session.id, user_id=session.user_id, client=client)
