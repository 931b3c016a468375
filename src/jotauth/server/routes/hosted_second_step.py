"""The hosted sign-in's second step: ``POST /login/mfa`` (DESIGN §13), a plain form post.

The page itself is rendered by :func:`jotauth.server.routes.hosted.second_step_form` when the
password was right. The submission is checked like the login form (``Sec-Fetch-Site`` or an
allowlisted ``Origin``, the form's CSRF token bound to its nonce cookie, ``return_to`` on the
allowlist) before anything changes; then the second step finishes, the session's cookies are
set and the browser goes on to ``return_to`` — an OAuth authorization request included.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from jotauth.accounts import SignedIn
from jotauth.errors import JotauthError
from jotauth.factors import MfaTokenInvalid
from jotauth.server.context import Context, ServerContext
from jotauth.server.delivery import client_of
from jotauth.server.problems import MalformedRequest, ServerProblem, problem_for_layer_error
from jotauth.server.routes.hosted import (
    _checked_return_to,
    _page,
    _refused,
    form_nonce_cookie,
    login_form_again,
    second_step_form,
)

router = APIRouter(tags=["hosted login"])

# A WebAuthn assertion in JSON (the passkey method's form field) is a few kilobytes.
_MAX_CREDENTIAL_CHARS = 16 * 1024


@router.post("/login/mfa", summary="Hosted sign-in: second step", response_model=None)
async def second_step_submit(
    request: Request,
    context: Context,
    mfa_token: Annotated[str, Form(max_length=128)],
    method: Annotated[str, Form(max_length=32, pattern=r"^[a-z_]{1,32}$")],
    code: Annotated[str, Form(max_length=64)] = "",
    credential: Annotated[str, Form(max_length=_MAX_CREDENTIAL_CHARS)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    return_to: Annotated[str | None, Form(max_length=2048)] = None,
) -> Response:
    """Check the code (or passkey assertion), set the session cookies, go to ``return_to``."""
    try:
        checked = _checked_return_to(context, return_to)
        context.origins.check_form_submission(request)
    except ServerProblem as error:
        return _refused(context, request, error)
    try:
        context.csrf.check_form(nonce=form_nonce_cookie(context, request), token=csrf_token)
        proved = await context.accounts.second_step.complete(
            mfa_token=mfa_token,
            method=method,
            proof=_proof(code, credential),
            client=client_of(request),
        )
    except MfaTokenInvalid as error:
        # Expired, used or tried too often: the sign-in starts again with the password.
        return await login_form_again(
            context, request, return_to=checked, problem=problem_for_layer_error(error)
        )
    except JotauthError as error:
        problem = problem_for_layer_error(error)
        if problem.status >= 500:
            raise
        try:
            held = await context.accounts.second_step.resume(mfa_token)
        except MfaTokenInvalid as spent:
            return await login_form_again(
                context, request, return_to=checked, problem=problem_for_layer_error(spent)
            )
        return await second_step_form(
            context, request, held=held, return_to=checked, problem=problem, again=True
        )
    outcome = proved.outcome
    target = context.return_to.resolve(checked) if checked else None
    response: Response
    if proved.recovery_codes:
        # An enrolment finished with this sign-in: the codes are shown once, before going on.
        response = _page(
            context,
            request,
            "recovery_codes.html",
            {"recovery_codes": proved.recovery_codes, "continue_url": target or "/login"},
        )
    elif target:
        response = RedirectResponse(target, status_code=303)
    else:
        response = _page(context, request, "signed_in.html", {})
    _set_cookies(context, response, outcome)
    return response


def _proof(code: str, credential: str) -> dict[str, object]:
    """The form's proof as the second step reads a JSON body's: ``code`` or ``credential``."""
    if credential:
        try:
            parsed = json.loads(credential)
        except ValueError:
            raise MalformedRequest("The passkey response is not valid JSON.") from None
        if not isinstance(parsed, dict):
            raise MalformedRequest("The passkey response is not valid JSON.")
        return {"credential": parsed}
    return {"code": code} if code else {}


def _set_cookies(context: ServerContext, response: Response, outcome: object) -> None:
    # A re-authentication (its token posted here) renews its session and sets nothing.
    if isinstance(outcome, SignedIn):
        context.delivery.set_cookies(response, outcome, with_access=True)
