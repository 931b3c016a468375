"""The hosted login page: server-rendered, works without JavaScript, strict CSP (DESIGN §5).

Where passkeys are on, ``static/passkeys.js`` adds "Sign in with a passkey" and the
browser's passkey autofill; it posts the assertion to ``POST /login/passkey``, a form like
the password one (same CSRF token, origin check and ``return_to``).

Apps on sibling subdomains send users to ``/login?return_to=…``; after a successful
sign-in the auth cookies are set (for ``cookie_domain`` when configured, so every sibling
app is signed in) and the browser is redirected to ``return_to`` when its origin is
allowlisted.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from jotauth.accounts import MfaRequired, SignedIn, sign_in_purpose
from jotauth.errors import JotauthError
from jotauth.passkeys import PasskeyMalformed
from jotauth.server.context import Context, ServerContext
from jotauth.server.delivery import client_of, request_cookie
from jotauth.server.pages import error_page, render_page, wants_html
from jotauth.server.problems import (
    InvalidReturnTo,
    Problem,
    ServerProblem,
    problem_for_layer_error,
)
from jotauth.server.routes.passkeys import passkey_sign_in_of
from jotauth.server.schemas import MAX_PASSWORD_CHARS

router = APIRouter(tags=["hosted login"])

_FORM_NONCE_MAX_AGE = 3600
# A WebAuthn assertion in JSON is well under 4 KiB; the bound leaves room for large user handles.
_MAX_CREDENTIAL_CHARS = 16_384
ReturnTo = Annotated[str | None, Query(max_length=2048)]


def _page(
    context: ServerContext,
    request: Request,
    template: str,
    values: dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    extra_form_targets: tuple[str, ...] = (),
    scripts: bool = False,
) -> Response:
    # form-action also governs where a form submission may redirect (CSP3), so the
    # allowlisted return_to origins are listed.
    return render_page(
        context.templates,
        request,
        template,
        values,
        form_targets=(*context.origins.allowed, *extra_form_targets),
        status=status,
        headers=headers,
        scripts=scripts,
    )


def _refused(context: ServerContext, request: Request, error: ServerProblem) -> Response:
    """A browser gets a readable error page; an API client the problem+json document."""
    if not wants_html(request):
        raise error
    return error_page(context.templates, request, error.problem())


def _checked_return_to(context: ServerContext, value: str | None) -> str | None:
    if not value:
        return None
    if context.return_to.resolve(value) is None:
        raise InvalidReturnTo()
    return value


async def _login_form(
    context: ServerContext,
    request: Request,
    *,
    return_to: str | None,
    email: str = "",
    problem: Problem | None = None,
    signed_in_as: str | None = None,
) -> Response:
    nonce = context.csrf.new_form_nonce()
    # After an OAuth sign-in the POST redirects on to the client, and CSP form-action
    # governs every redirect of a form submission (CSP3 §6.4): allow that one origin.
    client_origin = await context.oauth.authorization.redirect_origin(return_to)
    response = _page(
        context,
        request,
        "login.html",
        {
            "action": "/login",
            "csrf_token": context.csrf.form_token(nonce),
            "return_to": return_to or "",
            "email": email,
            "error": problem.detail if problem else None,
            "signed_in_as": signed_in_as,
            "forgot_url": "/forgot" if context.accounts.recovery is not None else None,
            "signup_url": "/signup" if context.settings.signup_enabled else None,
            "providers": await _federated_buttons(context, return_to),
            # Passwordless sign-in: a button and the browser's autofill, both shown by
            # static/passkeys.js only where WebAuthn works (the form alone without it).
            "passkeys": context.passkeys is not None,
        },
        status=problem.status if problem else 200,
        headers=problem.response_headers() if problem else None,
        extra_form_targets=(client_origin,) if client_origin else (),
        scripts=context.passkeys is not None,
    )
    context.cookies.set_login_form_nonce(response, nonce, max_age=_FORM_NONCE_MAX_AGE)
    return response


async def _federated_buttons(context: ServerContext, return_to: str | None) -> list[dict[str, str]]:
    """ "Continue with NAME" for each configured provider, carrying the same return_to (an
    authorization request of jotauth's own provider continues after it, DESIGN §14)."""
    query = f"?{urlencode({'return_to': return_to})}" if return_to else ""
    return [
        {"name": name, "url": f"/login/federated/{quote(name)}{query}"}
        for name in await context.federation.providers.names()
    ]


@router.get("/login", summary="Hosted login page", response_model=None)
async def login_page(
    request: Request,
    context: Context,
    return_to: ReturnTo = None,
    prompt: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """The sign-in form (works without JavaScript).

    A browser that already holds a valid access cookie (for example one set for the parent
    ``cookie_domain`` by a sign-in on a sibling app) goes straight to ``return_to``, unless
    ``prompt=login`` (an OpenID client asked for a fresh sign-in).
    """
    try:
        checked = _checked_return_to(context, return_to)
    except ServerProblem as error:
        return _refused(context, request, error)
    target = context.return_to.resolve(checked) if checked else None
    claims = context.verifier.verify_or_none(_access_cookie(context, request))
    if target and claims is not None and prompt != "login":
        return RedirectResponse(target, status_code=303)
    # Signed in already: say as whom, above the form for signing in as someone else.
    user = await context.users.get_user(claims.sub) if claims is not None else None
    return await _login_form(
        context,
        request,
        return_to=checked,
        signed_in_as=user.email if user is not None and not user.disabled else None,
    )


@router.post("/login", summary="Hosted login form submission", response_model=None)
async def login_submit(
    request: Request,
    context: Context,
    email: Annotated[str, Form(max_length=400)],
    password: Annotated[str, Form(max_length=MAX_PASSWORD_CHARS)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    return_to: Annotated[str | None, Form(max_length=2048)] = None,
) -> Response:
    """Check the form, sign in with cookie delivery, redirect to ``return_to``."""
    try:
        checked = _checked_return_to(context, return_to)
        context.origins.check_form_submission(request)
    except ServerProblem as error:
        return _refused(context, request, error)
    nonce = form_nonce_cookie(context, request)
    try:
        context.csrf.check_form(nonce=nonce, token=csrf_token)
        signed_in = await context.accounts.sign_in.login(
            email=email,
            password=password,
            client=client_of(request),
            purpose=sign_in_purpose(checked),
        )
        if isinstance(signed_in, MfaRequired):
            # The password was right: the second step's page, carrying return_to along.
            return await second_step_form(context, request, held=signed_in, return_to=checked)
    except JotauthError as error:
        return await _login_refused(context, request, error, return_to=checked, email=email)
    return _signed_in_page(context, request, signed_in, return_to=checked)


@router.post("/login/passkey", summary="Hosted passkey sign-in (from static/passkeys.js)")
async def login_passkey_submit(
    request: Request,
    context: Context,
    credential: Annotated[str, Form(max_length=_MAX_CREDENTIAL_CHARS)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    return_to: Annotated[str | None, Form(max_length=2048)] = None,
) -> Response:
    """The login page's passkey form: ``credential`` is the ``PublicKeyCredential.toJSON()``
    of ``navigator.credentials.get()`` (as JSON text); signs in like the password form."""
    try:
        checked = _checked_return_to(context, return_to)
        context.origins.check_form_submission(request)
    except ServerProblem as error:
        return _refused(context, request, error)
    nonce = form_nonce_cookie(context, request)
    try:
        context.csrf.check_form(nonce=nonce, token=csrf_token)
        signed_in = await passkey_sign_in_of(context).login(
            credential=_credential_of_form(credential), client=client_of(request)
        )
    except JotauthError as error:
        return await _login_refused(context, request, error, return_to=checked)
    return _signed_in_page(context, request, signed_in, return_to=checked)


def _credential_of_form(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise PasskeyMalformed() from error
    if not isinstance(value, dict):
        raise PasskeyMalformed()
    return value


async def _login_refused(
    context: ServerContext,
    request: Request,
    error: JotauthError,
    *,
    return_to: str | None,
    email: str = "",
) -> Response:
    """The login form again, with what went wrong. A lower layer's 5xx (the store down)
    stays an error for the handlers to answer; the server's own problems show on the form."""
    if isinstance(error, ServerProblem):
        problem = error.problem()
    else:
        problem = problem_for_layer_error(error)
        if problem.status >= 500:
            raise error
    return await _login_form(
        context, request, return_to=return_to, email=_safe_echo(email), problem=problem
    )


def _signed_in_page(
    context: ServerContext, request: Request, signed_in: SignedIn, *, return_to: str | None
) -> Response:
    """Cookies set, and on to ``return_to`` (or the signed-in page)."""
    target = context.return_to.resolve(return_to) if return_to else None
    if target:
        response: Response = RedirectResponse(target, status_code=303)
    else:
        response = _page(context, request, "signed_in.html", {})
    context.delivery.set_cookies(response, signed_in, with_access=True)
    return response


async def second_step_form(
    context: ServerContext,
    request: Request,
    *,
    held: MfaRequired,
    return_to: str | None,
    problem: Problem | None = None,
    again: bool = False,
) -> Response:
    """The second step of a hosted sign-in (DESIGN §13): a TOTP or recovery-code form that
    posts to ``/login/mfa`` without JavaScript, or the TOTP enrolment of a login the MFA
    policy holds (``again``: the same pending secret as before, after a mistyped code).
    ``return_to`` rides along, so an OAuth authorization continues after it."""
    setup = None
    if held.enrollment_required:
        setup = await context.accounts.second_factors.start_totp_for_enrolment(
            mfa_token=held.mfa_token, again=again
        )
    nonce = context.csrf.new_form_nonce()
    client_origin = await context.oauth.authorization.redirect_origin(return_to)
    restart = f"/login?{urlencode({'return_to': return_to})}" if return_to else "/login"
    response = _page(
        context,
        request,
        "login_mfa.html",
        {
            "action": "/login/mfa",
            "csrf_token": context.csrf.form_token(nonce),
            "mfa_token": held.mfa_token,
            "return_to": return_to or "",
            "methods": held.methods,
            "enrollment": held.enrollment_required,
            "setup": setup,
            # WebAuthn request options of the passkey method, for its template.
            "passkey": held.challenges.get("passkey"),
            "error": problem.detail if problem else None,
            "restart_url": restart,
        },
        status=problem.status if problem else 200,
        headers=problem.response_headers() if problem else None,
        extra_form_targets=(client_origin,) if client_origin else (),
        # "Use a passkey" runs static/passkeys.js (login_mfa_passkey.html).
        scripts="passkey" in held.methods and held.challenges.get("passkey") is not None,
    )
    context.cookies.set_login_form_nonce(response, nonce, max_age=_FORM_NONCE_MAX_AGE)
    return response


async def login_form_again(
    context: ServerContext, request: Request, *, return_to: str | None, problem: Problem
) -> Response:
    """The first step's form once more, saying why (an expired second step)."""
    return await _login_form(context, request, return_to=return_to, problem=problem)


@router.get("/logout", summary="Hosted logout page", response_model=None)
async def logout_page(
    request: Request,
    context: Context,
    return_to: ReturnTo = None,
) -> Response:
    """A confirmation form: a GET never ends a session (prefetchers, logout CSRF)."""
    try:
        checked = _checked_return_to(context, return_to)
    except ServerProblem as error:
        return _refused(context, request, error)
    return _logout_form(context, request, return_to=checked)


def _logout_form(context: ServerContext, request: Request, *, return_to: str | None) -> Response:
    nonce = context.csrf.new_form_nonce()
    response = _page(
        context,
        request,
        "logout.html",
        {
            "action": "/logout",
            "csrf_token": context.csrf.form_token(nonce),
            "return_to": return_to or "",
        },
    )
    context.cookies.set_login_form_nonce(response, nonce, max_age=_FORM_NONCE_MAX_AGE)
    return response


@router.post("/logout", summary="Hosted logout form submission", response_model=None)
async def logout_submit(
    request: Request,
    context: Context,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    return_to: Annotated[str | None, Form(max_length=2048)] = None,
) -> Response:
    """End the browser's session, clear every auth cookie, redirect to ``return_to``."""
    nonce = form_nonce_cookie(context, request)
    try:
        checked = _checked_return_to(context, return_to)
        context.origins.check_form_submission(request)
        context.csrf.check_form(nonce=nonce, token=csrf_token)
    except ServerProblem as error:
        return _refused(context, request, error)
    await end_browser_session(context, request)
    target = context.return_to.resolve(checked) if checked else None
    if target:
        response: Response = RedirectResponse(target, status_code=303)
    else:
        response = _page(context, request, "logged_out.html", {"login_url": "/login"})
    context.cookies.clear_all(response)
    return response


def _safe_echo(email: str) -> str:
    # Re-displayed in the form (autoescaped by Jinja2); bounded so the page stays small.
    return email[:254]


def form_nonce_cookie(context: ServerContext, request: Request) -> str | None:
    """The pre-session nonce cookie a hosted form's token is bound to."""
    return request_cookie(request, context.cookies.login_form.name)


def _access_cookie(context: ServerContext, request: Request) -> str | None:
    return request_cookie(request, context.cookies.access.name)


async def end_browser_session(context: ServerContext, request: Request) -> None:
    """End the session of the browser's cookies (the form's CSRF token is already checked)."""
    client = client_of(request)
    sign_out = context.accounts.sign_out
    claims = context.verifier.verify_or_none(_access_cookie(context, request))
    if claims is not None and claims.sid:
        await sign_out.logout(session_id=claims.sid, user_id=claims.sub, client=client)
        return
    refresh_cookie = request_cookie(request, context.cookies.refresh.name)
    session = await sign_out.session_of_refresh_token(refresh_cookie) if refresh_cookie else None
    if session is not None:
        await sign_out.logout(session_id=session.id, user_id=session.user_id, client=client)
