"""The JSON API of DESIGN §12: password reset, email verification, address change."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from jotauth.accounts import EmailVerification, PasswordRecovery
from jotauth.server.context import Context, ServerContext
from jotauth.server.delivery import answered_then, client_of, request_cookie
from jotauth.server.problems import FeatureDisabled, NotAuthenticated, problem_schema
from jotauth.server.routes.auth_api import (
    AuthenticatedCaller,
    _check_csrf,
    authenticated,
    bearer_of,
    require_json,
)
from jotauth.server.schemas import (
    EmailChangeRequest,
    ForgotPasswordRequest,
    ResetPasswordRequest,
    SendVerificationRequest,
    VerifyEmailRequest,
)

_PROBLEM = problem_schema()
_NO_MAIL = "Mail is not configured on this server (JOTAUTH_SMTP_URL)."

router = APIRouter(
    prefix="/api/auth",
    tags=["accounts"],
    dependencies=[Depends(require_json)],
    responses={400: _PROBLEM, 404: _PROBLEM, 413: _PROBLEM, 415: _PROBLEM, 422: _PROBLEM},
)
_THROTTLED: dict[int | str, dict[str, Any]] = {429: _PROBLEM, 503: _PROBLEM}


def recovery_of(context: ServerContext) -> PasswordRecovery:
    """The password-recovery use cases; 404 ``feature_disabled`` without mail."""
    if context.accounts.recovery is None:
        raise FeatureDisabled(_NO_MAIL)
    return context.accounts.recovery


def verification_of(context: ServerContext) -> EmailVerification:
    """The verification use cases; 404 ``feature_disabled`` without mail."""
    if context.accounts.verification is None:
        raise FeatureDisabled(_NO_MAIL)
    return context.accounts.verification


@router.post(
    "/password/forgot",
    summary="Mail a password-reset link (the same answer for every address)",
    status_code=202,
    response_class=Response,
    responses=_THROTTLED,
)
async def forgot_password(
    request: Request, body: ForgotPasswordRequest, context: Context
) -> Response:
    """202 for every well-formed address, at once; a reset link is mailed only when the
    address has an active account (no mail otherwise). Throttled per address and client
    address alike for all (429)."""
    later = await recovery_of(context).forgot(email=body.email, client=client_of(request))
    return Response(status_code=202, background=answered_then(context, later, what="forgot"))


@router.post(
    "/password/reset",
    summary="Set a new password with a mailed link's token (ends every session)",
    status_code=204,
    response_class=Response,
)
async def reset_password(
    request: Request, body: ResetPasswordRequest, context: Context
) -> Response:
    """Use the link (once, within 30 minutes) to set the password; every session of the user
    ends, this browser's cookies are cleared. 400 ``account_link_invalid``, 422
    ``weak_password`` (the link stays usable)."""
    await recovery_of(context).reset(
        token=body.token, password=body.password, client=client_of(request)
    )
    response = Response(status_code=204)
    context.cookies.clear_all(response)
    return response


@router.post(
    "/email/verify/send",
    summary="Mail a verification link (signed in; or for an address, enumeration-safe)",
    status_code=202,
    response_class=Response,
    responses={**_THROTTLED, 401: _PROBLEM, 403: _PROBLEM},
)
async def send_verification(
    request: Request, context: Context, body: SendVerificationRequest | None = None
) -> Response:
    """Signed in: a new link to the account's address (nothing when it is verified
    already). Not signed in (``require_verified_email`` keeps such users out): ``{email}``
    gets the same 202 whether or not it has an unverified account."""
    verification = verification_of(context)
    client = client_of(request)
    has_credentials = bearer_of(request) is not None or bool(
        request_cookie(request, context.cookies.access.name)
    )
    if has_credentials or body is None or body.email is None:
        if not has_credentials:
            raise NotAuthenticated()
        caller = await authenticated(request, context)
        _check_csrf(request, context, caller)
        await verification.send_to_own_address(user_id=caller.claims.sub, client=client)
    else:
        later = await verification.resend(email=body.email, client=client)
        return Response(status_code=202, background=answered_then(context, later, what="resend"))
    return Response(status_code=202)


@router.post(
    "/email/verify",
    summary="Verify the address with a mailed link's token",
    status_code=204,
    response_class=Response,
    responses={409: _PROBLEM},
)
async def verify_email(request: Request, body: VerifyEmailRequest, context: Context) -> Response:
    """The address the link went to is verified (after an address change it becomes the
    account's address). 400 ``account_link_invalid``."""
    await verification_of(context).verify(token=body.token, client=client_of(request))
    return Response(status_code=204)


@router.post(
    "/email/change",
    summary="Change the account's address (verified at the new one, told at the old one)",
    status_code=202,
    response_class=Response,
    responses={**_THROTTLED, 401: _PROBLEM, 403: _PROBLEM, 409: _PROBLEM},
)
async def change_email(
    request: Request, body: EmailChangeRequest, caller: AuthenticatedCaller, context: Context
) -> Response:
    """Checks the password (throttled like login, 403 ``wrong_password``), mails a link to
    the new address and a notice to the current one; the address changes when the link is
    followed. 409 ``user_exists`` when the address already belongs to an account."""
    _check_csrf(request, context, caller)
    await verification_of(context).change_email(
        user_id=caller.claims.sub,
        new_email=body.email,
        password=body.password,
        session_id=caller.session_id,
        client=client_of(request),
    )
    return Response(status_code=202)
