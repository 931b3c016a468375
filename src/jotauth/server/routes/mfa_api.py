"""The JSON API of second factors (DESIGN §13): the login's second step, re-authentication,
and a signed-in user's own factors (TOTP, recovery codes).

Every route calls one use case (:mod:`jotauth.accounts`); failures are problem+json through
the server's handlers. Factor changes need a recent authentication (403
``insufficient_user_authentication`` with ``max_age``, RFC 9470) and, when
cookie-authenticated, the session's CSRF header.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from jotauth.accounts import MfaRequired, SecondFactorProved, SignedIn
from jotauth.server.context import Context, ServerContext
from jotauth.server.delivery import client_of
from jotauth.server.problems import problem_schema
from jotauth.server.routes.auth_api import (
    AuthenticatedCaller,
    _check_csrf,
    authenticated,
    require_json,
)
from jotauth.server.schemas import (
    MfaLoginRequest,
    MfaRequiredResponse,
    MfaStatusResponse,
    ReauthenticateRequest,
    RecoveryCodesResponse,
    TokenResponse,
    TotpConfirmRequest,
    TotpSetupRequest,
    TotpSetupResponse,
)

_PROBLEM = problem_schema()
_AUTH: dict[int | str, dict[str, Any]] = {401: _PROBLEM, 403: _PROBLEM, 503: _PROBLEM}
_FACTOR_CHANGE: dict[int | str, dict[str, Any]] = {**_AUTH, 404: _PROBLEM, 409: _PROBLEM}

router = APIRouter(
    prefix="/api/auth",
    tags=["second factors"],
    dependencies=[Depends(require_json)],
    responses={400: _PROBLEM, 413: _PROBLEM, 415: _PROBLEM, 422: _PROBLEM, 500: _PROBLEM},
)


@router.post(
    "/login/mfa",
    summary="Finish a login (or re-authentication) with a second factor",
    response_model=None,
    responses={
        200: {"model": TokenResponse, "description": "Body delivery (or recovery codes)"},
        204: {"description": "Cookie delivery: the tokens are in Set-Cookie"},
        **_AUTH,
        429: _PROBLEM,
    },
)
async def login_mfa(request: Request, body: MfaLoginRequest, context: Context) -> Response:
    """``{mfa_token, method, code | credential}`` → the normal login response, delivered
    as asked at login. A wrong proof is 401 ``second_factor_invalid`` (the token takes a
    few tries, then it is gone); 429 when the account has had too many."""
    # Login CSRF, as /login: a forged second step would finish the attacker's login.
    context.origins.check_login_request(request)
    proved = await context.accounts.second_step.complete(
        mfa_token=body.mfa_token,
        method=body.method,
        proof=body.model_dump(exclude={"mfa_token", "method"}, exclude_none=True),
        client=client_of(request),
    )
    return deliver_proved(context, proved)


def deliver_proved(context: ServerContext, proved: SecondFactorProved) -> Response:
    """The response of a finished second step: a new session's tokens, or a renewed one's
    access token; the recovery codes of an enrolment in the JSON body."""
    extra: dict[str, object] | None = (
        {"recovery_codes": list(proved.recovery_codes)} if proved.recovery_codes else None
    )
    outcome = proved.outcome
    if isinstance(outcome, SignedIn):
        native = outcome.session.refresh_delivery == "body"
        return context.delivery.deliver(
            outcome, delivery=proved.delivery, native=native, extra=extra
        )
    return context.delivery.deliver_reauthenticated(outcome, delivery=proved.delivery)


@router.post(
    "/reauthenticate",
    summary="Prove who you are again in this session (step-up)",
    response_model=None,
    responses={
        200: {"model": TokenResponse | MfaRequiredResponse, "description": "Body delivery"},
        204: {"description": "Cookie delivery: the new access cookie"},
        **_AUTH,
        429: _PROBLEM,
    },
)
async def reauthenticate(
    request: Request, body: ReauthenticateRequest, caller: AuthenticatedCaller, context: Context
) -> Response:
    """``{password}`` → a new access token for the same session with a fresh
    ``auth_time``; a user with a second factor gets ``mfa_required`` bound to this
    session, finished by ``/api/auth/login/mfa``."""
    _check_csrf(request, context, caller)
    delivery = body.delivery or ("cookie" if caller.via_cookie else "body")
    outcome = await context.accounts.reauthentication.start(
        session=caller.session,
        password=body.password,
        client=client_of(request),
        delivery=delivery,
    )
    if isinstance(outcome, MfaRequired):
        return context.delivery.mfa_required(outcome)
    return context.delivery.deliver_reauthenticated(outcome, delivery=delivery)


@router.get(
    "/mfa",
    summary="The account's second factors",
    response_model=MfaStatusResponse,
    responses=_AUTH,
)
async def mfa_status(caller: AuthenticatedCaller, context: Context) -> MfaStatusResponse:
    """The enrolled methods and how many recovery codes are left."""
    status = await context.accounts.second_factors.status(caller.claims.sub)
    return MfaStatusResponse(
        enabled=status.enabled,
        methods=list(status.methods),
        recovery_codes_remaining=status.recovery_codes_remaining,
    )


@router.post(
    "/mfa/totp/setup",
    summary="Start setting up an authenticator app (TOTP)",
    response_model=TotpSetupResponse,
    responses=_FACTOR_CHANGE,
)
async def totp_setup(
    request: Request, context: Context, body: TotpSetupRequest | None = None
) -> Response:
    """Signed in with a recent sign-in, or with the ``mfa_token`` of a login the MFA policy
    holds for enrolment: ``{secret, otpauth_uri, qr_svg}``, pending until the first code."""
    if body is not None and body.mfa_token is not None:
        context.origins.check_login_request(request)
        setup = await context.accounts.second_factors.start_totp_for_enrolment(
            mfa_token=body.mfa_token
        )
    else:
        caller = await authenticated(request, context)
        _check_csrf(request, context, caller)
        setup = await context.accounts.second_factors.start_totp(
            user_id=caller.claims.sub, session_id=caller.session_id
        )
    answer = TotpSetupResponse(
        secret=setup.secret, otpauth_uri=setup.otpauth_uri, qr_svg=setup.qr_svg
    )
    return Response(
        answer.model_dump_json().encode(),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


@router.post(
    "/mfa/totp/confirm",
    summary="Confirm the authenticator app with its first code",
    response_model=RecoveryCodesResponse,
    responses=_FACTOR_CHANGE,
)
async def totp_confirm(
    request: Request, body: TotpConfirmRequest, caller: AuthenticatedCaller, context: Context
) -> Response:
    """The first code turns the pending TOTP on; the answer holds the recovery codes,
    shown this once (422 ``confirmation_code_invalid`` for a wrong code)."""
    _check_csrf(request, context, caller)
    codes = await context.accounts.second_factors.confirm_totp(
        user_id=caller.claims.sub,
        session_id=caller.session_id,
        code=body.code,
        client=client_of(request),
    )
    return _recovery_codes(codes)


@router.delete(
    "/mfa/totp",
    summary="Remove the authenticator app",
    status_code=204,
    response_class=Response,
    responses=_FACTOR_CHANGE,
)
async def totp_remove(request: Request, caller: AuthenticatedCaller, context: Context) -> Response:
    """Remove TOTP (recent sign-in required; 409 ``second_factor_required`` when the
    policy needs the account to keep a second factor)."""
    _check_csrf(request, context, caller)
    await context.accounts.second_factors.remove_totp(
        user_id=caller.claims.sub, session_id=caller.session_id, client=client_of(request)
    )
    return Response(status_code=204)


@router.post(
    "/mfa/recovery-codes",
    summary="Replace the recovery codes",
    response_model=RecoveryCodesResponse,
    responses=_FACTOR_CHANGE,
)
async def recovery_codes_regenerate(
    request: Request, caller: AuthenticatedCaller, context: Context
) -> Response:
    """Ten new codes (the old ones stop working), shown this once."""
    _check_csrf(request, context, caller)
    codes = await context.accounts.second_factors.regenerate_recovery_codes(
        user_id=caller.claims.sub, session_id=caller.session_id, client=client_of(request)
    )
    return _recovery_codes(codes)


def _recovery_codes(codes: tuple[str, ...]) -> Response:
    return Response(
        RecoveryCodesResponse(recovery_codes=list(codes)).model_dump_json().encode(),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
