"""HTTP side of federation (DESIGN §14): "Continue with NAME" and the provider's callback.

``GET /login/federated/{name}?return_to=…`` starts a sign-in: the pending sign-in (state,
nonce, PKCE verifier, return_to) goes sealed into an HttpOnly cookie and the browser to the
provider. ``GET /login/federated/{name}/callback`` finishes it: an ordinary cookie session,
then the browser goes on to ``return_to`` (an ``/oauth2/authorize`` request of jotauth's own
provider included, which then continues). ``POST /login/federated/{name}?link=1`` starts a
link for the signed-in user (access cookie + the ``X-XSRF-TOKEN`` double submit: linking by
a forged request would attach an attacker's identity to the victim's account) and answers
``{"location": …}`` for the page to navigate to. Errors reach browsers as HTML pages, API
clients as problem+json; every answer of the callback clears the pending cookie.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from jotauth.errors import JotauthError
from jotauth.federation import Completed
from jotauth.federation.pending import PENDING_TTL
from jotauth.server.context import Context, ServerContext
from jotauth.server.delivery import client_of, request_cookie
from jotauth.server.pages import render_page, wants_html
from jotauth.server.problems import (
    InvalidReturnTo,
    NotAuthenticated,
    ServerProblem,
    problem_for_layer_error,
)
from jotauth.server.routes.hosted import second_step_form

router = APIRouter(tags=["federation"])

ProviderName = Annotated[str, Path(max_length=64)]
_NO_STORE = {"Cache-Control": "no-store"}
_MAX_CALLBACK_PARAMS = 16


def _checked_return_to(context: ServerContext, value: str | None) -> str | None:
    if not value:
        return None
    if context.return_to.resolve(value) is None:
        raise InvalidReturnTo()
    return value


@router.get(
    "/login/federated/{name}", summary="Start signing in with another provider", response_model=None
)
async def start_sign_in(
    request: Request,
    context: Context,
    name: ProviderName,
    return_to: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response:
    """Redirect to provider ``name`` with state, nonce and PKCE (nothing is stored yet)."""
    try:
        checked = _checked_return_to(context, return_to)
        started = await context.federation.start(name, return_to=checked)
    except JotauthError as error:
        return _refused(context, request, error, return_to=None)
    response = RedirectResponse(started.location, status_code=303, headers=_NO_STORE)
    context.cookies.set_federation(response, started.pending, max_age=PENDING_TTL)
    return response


@router.post(
    "/login/federated/{name}",
    summary="Start linking another provider to the signed-in account",
    response_model=None,
)
async def start_link(
    request: Request,
    context: Context,
    name: ProviderName,
    link: Annotated[str, Query(max_length=1)] = "",
    return_to: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response:
    """``{"location": …}`` of the provider, for a signed-in user (cookie + XSRF header)."""
    if link != "1":
        return problem_for_layer_error(_LinkParameterMissing()).to_response()
    try:
        checked = _checked_return_to(context, return_to)
        claims = context.verifier.verify_or_none(
            request_cookie(request, context.cookies.access.name)
        )
        if claims is None or not claims.sid:
            raise NotAuthenticated()
        session = await context.accounts.own_account.live_session(claims)
        context.csrf.check_session_request(
            header=request.headers.get(context.settings.csrf_header_name),
            cookie=request_cookie(request, context.cookies.csrf.name),
            session_id=session.id,
        )
        started = await context.federation.start(name, return_to=checked, link_user_id=claims.sub)
    except JotauthError as error:
        return problem_for_layer_error(error).to_response()
    response = JSONResponse({"location": started.location}, headers=_NO_STORE)
    context.cookies.set_federation(response, started.pending, max_age=PENDING_TTL)
    return response


class _LinkParameterMissing(ServerProblem):
    default_detail = "POST /login/federated/{name} links a provider: add ?link=1."


@router.get(
    "/login/federated/{name}/callback",
    summary="The provider's redirect back (authorization response)",
    response_model=None,
)
async def callback(request: Request, context: Context, name: ProviderName) -> Response:
    """Check state and iss, exchange the code, verify the ID token, sign in or link."""
    params = dict(request.query_params)
    pending_cookie = request_cookie(request, context.cookies.federation.name)
    claims = context.verifier.verify_or_none(request_cookie(request, context.cookies.access.name))
    try:
        if len(request.query_params) > _MAX_CALLBACK_PARAMS or len(params) != len(
            request.query_params
        ):
            raise _MalformedCallback()
        completed = await context.federation.complete(
            name,
            params=params,
            pending_cookie=pending_cookie,
            signed_in_user_id=claims.sub if claims is not None else None,
            client=client_of(request),
        )
    except JotauthError as error:
        problem = problem_for_layer_error(error)
        if problem.status >= 500 and problem.status != 502:
            raise
        response = _refused(context, request, error, return_to=None)
        context.cookies.set_federation(response, "", max_age=0)
        return response
    response = await _after(context, request, completed)
    context.cookies.set_federation(response, "", max_age=0)
    return response


class _MalformedCallback(ServerProblem):
    default_detail = "The provider's answer repeats or has too many parameters."


async def _after(context: ServerContext, request: Request, completed: Completed) -> Response:
    if completed.mfa is not None:
        # The account has a second factor: the provider's sign-in was the first step.
        return await second_step_form(
            context, request, held=completed.mfa, return_to=completed.return_to
        )
    target = context.return_to.resolve(completed.return_to) if completed.return_to else None
    if target:
        # A page that moves on by itself, not a 303: the provider's login form redirected the
        # browser here, and Chromium checks every redirect of a form submission against the
        # *provider's* CSP form-action, which cannot know where we go next (an app, or our own
        # /oauth2/authorize and then its client). A meta refresh is a new navigation.
        response: Response = render_page(
            context.templates,
            request,
            "continue.html",
            {"target": target, "provider": completed.identity.provider},
        )
    else:
        response = render_page(
            context.templates,
            request,
            "signed_in.html",
            {"provider": completed.identity.provider, "linked": completed.signed_in is None},
        )
    if completed.signed_in is not None:
        context.delivery.set_cookies(response, completed.signed_in, with_access=True)
    return response


def _refused(
    context: ServerContext, request: Request, error: JotauthError, *, return_to: str | None
) -> Response:
    """A readable page for a browser (with the way back to the login), problem+json else."""
    problem = problem_for_layer_error(error)
    if not wants_html(request):
        return problem.to_response()
    login = "/login" + (f"?{urlencode({'return_to': return_to})}" if return_to else "")
    return render_page(
        context.templates,
        request,
        "error.html",
        {"title": problem.title, "detail": problem.detail, "back_url": login},
        status=problem.status,
        headers=problem.response_headers(),
    )


@router.get("/api/auth/providers", summary="The identity providers users may sign in with")
async def list_providers(context: Context) -> JSONResponse:
    """``{"providers": [{"name", "login_url"}]}``: what an app shows as "Continue with NAME"."""
    names = await context.federation.providers.names()
    return JSONResponse(
        {"providers": [{"name": n, "login_url": f"/login/federated/{quote(n)}"} for n in names]}
    )
