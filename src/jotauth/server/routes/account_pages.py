"""Hosted account pages (DESIGN §12): ``/signup``, ``/forgot``, ``/reset``, ``/verify``.

Server-rendered without script under the hosted pages' strict CSP, with the hosted login's
form rules: a POST must come from our own pages (``OriginPolicy.check_form_submission``)
and carry the form token bound to the nonce cookie. The pages a mailed link opens
(``/reset``, ``/verify``) change nothing on GET: mail scanners follow links, and a
single-use link must survive them, so each shows a form whose POST does the work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from jotauth.accounts import CheckYourMail, MfaRequired
from jotauth.errors import ErrorCode, JotauthError
from jotauth.server.context import Context, ServerContext
from jotauth.server.delivery import answered_then, client_of
from jotauth.server.pages import error_page, wants_html
from jotauth.server.problems import FeatureDisabled, Problem, problem_for_layer_error
from jotauth.server.routes.accounts_api import recovery_of, verification_of
from jotauth.server.routes.hosted import (
    _FORM_NONCE_MAX_AGE,
    _checked_return_to,
    _page,
    _safe_echo,
    form_nonce_cookie,
    second_step_form,
)
from jotauth.server.schemas import MAX_PASSWORD_CHARS, MAX_REFRESH_TOKEN_CHARS

router = APIRouter(tags=["hosted account pages"])

TokenQuery = Annotated[str, Query(max_length=MAX_REFRESH_TOKEN_CHARS)]
TokenField = Annotated[str, Form(max_length=MAX_REFRESH_TOKEN_CHARS)]
EmailField = Annotated[str, Form(max_length=400)]
PasswordField = Annotated[str, Form(max_length=MAX_PASSWORD_CHARS)]
CsrfField = Annotated[str, Form(max_length=200)]


def _form(
    context: ServerContext,
    request: Request,
    template: str,
    values: dict[str, Any],
    *,
    problem: Problem | None = None,
) -> Response:
    """A page with a form: a fresh nonce cookie and the form token that goes with it."""
    nonce = context.csrf.new_form_nonce()
    response = _page(
        context,
        request,
        template,
        {
            "csrf_token": context.csrf.form_token(nonce),
            "error": problem.detail if problem else None,
            **values,
        },
        status=problem.status if problem else 200,
        headers=problem.response_headers() if problem else None,
    )
    context.cookies.set_login_form_nonce(response, nonce, max_age=_FORM_NONCE_MAX_AGE)
    return response


def _refuse(context: ServerContext, request: Request, error: JotauthError) -> Response:
    """A browser gets a readable error page; an API client the problem+json document."""
    if not wants_html(request):
        raise error
    return error_page(context.templates, request, problem_for_layer_error(error))


def _message(
    context: ServerContext, request: Request, title: str, text: str, **links: str
) -> Response:
    return _page(context, request, "account_message.html", {"title": title, "text": text, **links})


async def _submitted(
    context: ServerContext,
    request: Request,
    csrf_token: str,
    action: Callable[[], Awaitable[Response]],
    again: Callable[[Problem], Response],
) -> Response:
    """Check the form's origin and token, run ``action``; a 4xx shows the form again with
    the problem, a 5xx is the server's error page."""
    try:
        context.origins.check_form_submission(request)
    except JotauthError as error:
        return _refuse(context, request, error)
    try:
        context.csrf.check_form(nonce=form_nonce_cookie(context, request), token=csrf_token)
        return await action()
    except JotauthError as error:
        problem = problem_for_layer_error(error)
        if problem.status >= 500:
            raise
        return again(problem)


# --- sign-up ------------------------------------------------------------------------------


def _require_signup(context: ServerContext) -> None:
    if not context.settings.signup_enabled:
        raise FeatureDisabled("Sign-up is not enabled on this server.")


@router.get("/signup", summary="Hosted sign-up page", response_model=None)
async def signup_page(
    request: Request,
    context: Context,
    return_to: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response:
    """The sign-up form (email, name, password; works without JavaScript)."""
    try:
        _require_signup(context)
        checked = _checked_return_to(context, return_to)
    except JotauthError as error:
        return _refuse(context, request, error)
    return _signup_form(context, request, return_to=checked)


def _signup_form(
    context: ServerContext,
    request: Request,
    *,
    return_to: str | None,
    email: str = "",
    name: str = "",
    problem: Problem | None = None,
) -> Response:
    return _form(
        context,
        request,
        "signup.html",
        {
            "return_to": return_to or "",
            "email": email,
            "name": name,
            "min_length": context.settings.password_min_length,
        },
        problem=problem,
    )


@router.post("/signup", summary="Hosted sign-up form submission", response_model=None)
async def signup_submit(
    request: Request,
    context: Context,
    email: EmailField,
    password: PasswordField,
    name: Annotated[str, Form(max_length=200)] = "",
    csrf_token: CsrfField = "",
    return_to: Annotated[str | None, Form(max_length=2048)] = None,
) -> Response:
    """Create the account; signed in at once (cookies), or "check your mail"."""
    try:
        _require_signup(context)
        checked = _checked_return_to(context, return_to)
    except JotauthError as error:
        return _refuse(context, request, error)

    async def sign_up() -> Response:
        signed_in = await context.accounts.registration.sign_up(
            email=email, password=password, name=name, client=client_of(request)
        )
        if isinstance(signed_in, MfaRequired):
            # The MFA policy covers the new account: it enrols an authenticator first.
            return await second_step_form(context, request, held=signed_in, return_to=checked)
        if isinstance(signed_in, CheckYourMail):
            check_mail = _check_your_mail(context, request)
            if signed_in.later is not None:
                check_mail.background = answered_then(context, signed_in.later, what="signup")
            return check_mail
        target = context.return_to.resolve(checked) if checked else None
        response: Response = (
            RedirectResponse(target, status_code=303)
            if target
            else _message(
                context,
                request,
                "Welcome",
                "Your account is ready and you are signed in. We have sent you a mail to "
                "confirm your address.",
            )
        )
        context.delivery.set_cookies(response, signed_in, with_access=True)
        return response

    return await _submitted(
        context,
        request,
        csrf_token,
        sign_up,
        lambda problem: _signup_form(
            context,
            request,
            return_to=checked,
            email=_safe_echo(email),
            name=name[:200],
            problem=problem,
        ),
    )


def _check_your_mail(context: ServerContext, request: Request) -> Response:
    return _message(
        context,
        request,
        "Check your mail",
        "If the address can be used, a message is on its way to it with what to do next. "
        "It can take a few minutes; look in the spam folder too.",
        login_url="/login",
    )


# --- forgot and reset ---------------------------------------------------------------------


@router.get("/forgot", summary="Hosted forgotten-password page", response_model=None)
async def forgot_page(request: Request, context: Context) -> Response:
    """The "send me a reset link" form."""
    try:
        recovery_of(context)
    except JotauthError as error:
        return _refuse(context, request, error)
    return _form(context, request, "forgot.html", {"email": ""})


@router.post("/forgot", summary="Hosted forgotten-password form submission", response_model=None)
async def forgot_submit(
    request: Request, context: Context, email: EmailField, csrf_token: CsrfField = ""
) -> Response:
    """The same "check your mail" page for every address."""

    async def forgot() -> Response:
        later = await recovery_of(context).forgot(email=email, client=client_of(request))
        response = _check_your_mail(context, request)
        response.background = answered_then(context, later, what="forgot")
        return response

    return await _submitted(
        context,
        request,
        csrf_token,
        forgot,
        lambda problem: _form(
            context, request, "forgot.html", {"email": _safe_echo(email)}, problem=problem
        ),
    )


@router.get(
    "/reset", summary="Hosted password-reset page (from the mailed link)", response_model=None
)
async def reset_page(request: Request, context: Context, token: TokenQuery = "") -> Response:
    """The new-password form; a link that cannot work says so at once."""
    try:
        recovery_of(context)
        await context.users.check_account_link(token, "password_reset")
    except JotauthError as error:
        return _link_refused(context, request, error)
    return _reset_form(context, request, token=token)


def _reset_form(
    context: ServerContext, request: Request, *, token: str, problem: Problem | None = None
) -> Response:
    return _form(
        context,
        request,
        "reset.html",
        {"token": token, "min_length": context.settings.password_min_length},
        problem=problem,
    )


@router.post("/reset", summary="Hosted password-reset form submission", response_model=None)
async def reset_submit(
    request: Request,
    context: Context,
    token: TokenField,
    password: PasswordField,
    csrf_token: CsrfField = "",
) -> Response:
    """Set the password, end every session, clear this browser's cookies."""

    async def reset() -> Response:
        await recovery_of(context).reset(token=token, password=password, client=client_of(request))
        response = _message(
            context,
            request,
            "Password changed",
            "Your new password is set, and every device that was signed in has been signed "
            "out. Sign in with the new password.",
            login_url="/login",
        )
        context.cookies.clear_all(response)
        return response

    def again(problem: Problem) -> Response:
        if problem.code == ErrorCode.ACCOUNT_LINK_INVALID:
            return _message(
                context, request, "Link invalid or expired", problem.detail, forgot_url="/forgot"
            )
        return _reset_form(context, request, token=token, problem=problem)

    return await _submitted(context, request, csrf_token, reset, again)


def _link_refused(context: ServerContext, request: Request, error: JotauthError) -> Response:
    problem = problem_for_layer_error(error)
    if problem.status >= 500:
        raise error
    if problem.code != ErrorCode.ACCOUNT_LINK_INVALID:
        return _refuse(context, request, error)
    response = _message(
        context, request, "Link invalid or expired", problem.detail, forgot_url="/forgot"
    )
    response.status_code = problem.status
    return response


# --- verification -------------------------------------------------------------------------


@router.get(
    "/verify",
    summary="Hosted address-verification page (from the mailed link)",
    response_model=None,
)
async def verify_page(request: Request, context: Context, token: TokenQuery = "") -> Response:
    """A "confirm my address" button (a GET verifies nothing: mail scanners follow links)."""
    try:
        verification_of(context)
        await context.users.check_account_link(token, "verify_email")
    except JotauthError as error:
        return _link_refused(context, request, error)
    return _form(context, request, "verify.html", {"token": token})


@router.post("/verify", summary="Hosted address-verification form submission", response_model=None)
async def verify_submit(
    request: Request, context: Context, token: TokenField, csrf_token: CsrfField = ""
) -> Response:
    """Verify the address the link was mailed to."""

    async def verify() -> Response:
        user = await verification_of(context).verify(token=token, client=client_of(request))
        return _message(
            context,
            request,
            "Address confirmed",
            f"{user.email} is confirmed for your account.",
            login_url="/login",
        )

    def again(problem: Problem) -> Response:
        return _message(context, request, "Link invalid or expired", problem.detail)

    return await _submitted(context, request, csrf_token, verify, again)
