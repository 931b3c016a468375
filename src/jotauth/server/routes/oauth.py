"""HTTP side of the OAuth 2.1 / OpenID Connect provider (DESIGN §11); the use cases are in
:mod:`jotauth.oauth`.

Errors of the token, revocation and introspection endpoints are RFC 6749 §5.2 JSON with
``Cache-Control: no-store``; authorization errors go back to the client's redirect URI,
except for an unknown client or redirect URI, which get an HTML page and never a redirect.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import unquote, urlencode

from fastapi import APIRouter, Form, Request
from starlette.datastructures import FormData
from starlette.responses import JSONResponse, RedirectResponse, Response

from jotauth.accounts import SignedIn
from jotauth.oauth import (
    Approved,
    AuthorizationRequest,
    BrowserSession,
    ClientCredentials,
    ConsentNeeded,
    LoginNeeded,
    NotRedirectable,
    OAuthClient,
    OAuthError,
    RedirectToClient,
)
from jotauth.oauth.errors import AccessDenied, InvalidClient, InvalidRequest, UnsupportedGrantType
from jotauth.oauth.scopes import describe
from jotauth.server.context import Context, ServerContext
from jotauth.server.delivery import client_of, request_cookie
from jotauth.server.pages import render_page
from jotauth.server.problems import ServerProblem
from jotauth.server.routes.hosted import end_browser_session, form_nonce_cookie
from jotauth.sessions import SessionError

router = APIRouter(tags=["OAuth 2.1 / OpenID Connect"])

_FORM = "application/x-www-form-urlencoded"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_MAX_FORM_FIELDS = 32


# --- authorization endpoint -----------------------------------------------------------------


@router.get(
    "/oauth2/authorize", summary="Authorization endpoint (code + PKCE)", response_model=None
)
async def authorize(request: Request, context: Context) -> Response:
    """Check the request, sign the user in if needed, ask for consent, redirect with a code."""
    params = _single_values(request.query_params.multi_items())
    if params is None:
        return _not_redirectable(context, request, "A parameter was sent more than once.")
    return await _authorize(context, request, params, consented=None)


@router.post("/oauth2/authorize", summary="Consent decision", response_model=None)
async def consent_decision(
    request: Request,
    context: Context,
    decision: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The user's answer on the consent page (form token + origin checked, like login)."""
    params = await _hosted_form(context, request, csrf_token)
    if isinstance(params, Response):
        return params
    # The form's own fields are not part of the authorization request (nor of a return_to).
    request_params = {k: v for k, v in params.items() if k not in ("csrf_token", "decision")}
    return await _authorize(context, request, request_params, consented=decision == "allow")


async def _hosted_form(
    context: ServerContext, request: Request, csrf_token: str
) -> dict[str, str] | Response:
    """The fields of one of our own pages' forms, after the same origin and form-token
    checks as the hosted login; an error page otherwise."""
    params = _single_values((await request.form()).multi_items())
    if params is None:
        return _not_redirectable(context, request, "A parameter was sent more than once.")
    try:
        context.origins.check_form_submission(request)
        context.csrf.check_form(nonce=form_nonce_cookie(context, request), token=csrf_token)
    except ServerProblem as error:
        return _not_redirectable(context, request, error.detail, status=error.problem().status)
    return params


async def _authorize(
    context: ServerContext, request: Request, params: dict[str, str], *, consented: bool | None
) -> Response:
    authorization = context.oauth.authorization
    status = 302 if consented is None else 303
    renewed: SignedIn | None = None
    try:
        checked = await authorization.check(params)
        if consented is False:
            return RedirectResponse(authorization.deny(checked, AccessDenied()), status_code=303)
        browser, renewed = await _browser_session(context, request)
        outcome = await authorization.authorize(checked, browser, consented=bool(consented))
    except NotRedirectable as error:
        return _not_redirectable(context, request, error.description)
    except RedirectToClient as redirect:
        return _with_renewed_cookies(
            context, RedirectResponse(redirect.location, status_code=status), renewed
        )
    if isinstance(outcome, LoginNeeded):
        response: Response = RedirectResponse(
            _login_url(params, force=outcome.force), status_code=status
        )
    elif isinstance(outcome, ConsentNeeded):
        response = _consent_page(context, request, outcome.request)
    else:
        assert isinstance(outcome, Approved)
        response = RedirectResponse(outcome.location, status_code=status, headers=_NO_STORE)
    return _with_renewed_cookies(context, response, renewed)


def _with_renewed_cookies(
    context: ServerContext, response: Response, renewed: SignedIn | None
) -> Response:
    if renewed is not None:
        context.delivery.set_cookies(response, renewed, with_access=True)
    return response


async def _browser_session(
    context: ServerContext, request: Request
) -> tuple[BrowserSession | None, SignedIn | None]:
    """The browser's sign-in, from its access cookie, else by rotating its refresh cookie.

    The provider's sign-in is the browser's session (DESIGN §6), not its 15-minute access
    cookie: a browser whose access cookie expired is renewed here through the first-party
    refresh use case (reuse detection included), and the renewed cookies go with the answer.
    """
    claims = context.verifier.verify_or_none(request_cookie(request, context.cookies.access.name))
    if claims is not None:
        return await context.oauth.authorization.browser_session(claims.sub, claims.sid), None
    refresh_cookie = request_cookie(request, context.cookies.refresh.name)
    if not refresh_cookie:
        return None, None
    try:
        renewed = await context.accounts.sign_in.refresh(
            refresh_token=refresh_cookie, presented_in="cookie"
        )
    except SessionError:
        return None, None  # ended, expired or reused: sign in again
    browser = BrowserSession(
        user_id=renewed.user.id,
        session_id=renewed.session_id,
        auth_time=renewed.session.authenticated_at,
    )
    return browser, renewed


def _login_url(params: dict[str, str], *, force: bool) -> str:
    # Back to this request after sign-in, without prompt/max_age: the fresh sign-in
    # satisfies them, and keeping them would send the browser round in a loop.
    again = {k: v for k, v in params.items() if k not in ("prompt", "max_age")}
    query: dict[str, str] = {"return_to": "/oauth2/authorize?" + urlencode(again)}
    if force:
        query["prompt"] = "login"
    return "/login?" + urlencode(query)


def _consent_page(
    context: ServerContext, request: Request, checked: AuthorizationRequest
) -> Response:
    nonce = context.csrf.new_form_nonce()
    response = render_page(
        context.templates,
        request,
        "consent.html",
        {
            "client_name": checked.client.name,
            "scopes": [describe(scope) for scope in checked.scope],
            "fields": checked.form_fields(),
            "csrf_token": context.csrf.form_token(nonce),
        },
        # The answer redirects to the client: CSP form-action must allow its origin.
        form_targets=(*context.origins.allowed, *checked.client.origins()),
    )
    context.cookies.set_login_form_nonce(response, nonce, max_age=3600)
    return response


def _not_redirectable(
    context: ServerContext, request: Request, detail: str, *, status: int = 400
) -> Response:
    return render_page(
        context.templates,
        request,
        "error.html",
        {"title": "This sign-in request cannot be completed", "detail": detail},
        status=status,
    )


# --- token endpoint ----------------------------------------------------------------------------


@router.post("/oauth2/token", summary="Token endpoint", response_model=None)
async def token(request: Request, context: Context) -> Response:
    """``authorization_code``, ``refresh_token`` and ``client_credentials`` grants."""
    grants = context.oauth.grants
    try:
        params = await _form_params(request)
        client = await grants.authenticate(_client_credentials(request, params))
        grant_type = params.get("grant_type")
        if grant_type == "authorization_code":
            issued = await grants.exchange_code(
                client,
                code=_required(params, "code"),
                redirect_uri=params.get("redirect_uri"),
                code_verifier=params.get("code_verifier"),
                user_agent=request.headers.get("user-agent", "")[:512],
                ip=client_of(request).ip,
            )
        elif grant_type == "refresh_token":
            issued = await grants.refresh(
                client, refresh_token=_required(params, "refresh_token"), scope=params.get("scope")
            )
        elif grant_type == "client_credentials":
            issued = grants.client_credentials(client, scope=params.get("scope"))
        elif grant_type is None:
            raise InvalidRequest("grant_type is required")
        else:
            raise UnsupportedGrantType()
    except OAuthError as error:
        return _oauth_error(request, error)
    return JSONResponse(issued.to_json(), headers=_NO_STORE)


@router.post("/oauth2/revoke", summary="Token revocation (RFC 7009)", response_model=None)
async def revoke(request: Request, context: Context) -> Response:
    """End the OAuth session of a refresh or access token; 200 also for unknown tokens."""
    try:
        params = await _form_params(request)
        client = await context.oauth.grants.authenticate(_client_credentials(request, params))
        await context.oauth.status.revoke(client, _required(params, "token"))
    except OAuthError as error:
        return _oauth_error(request, error)
    return Response(status_code=200, headers=_NO_STORE)


@router.post("/oauth2/introspect", summary="Token introspection (RFC 7662)", response_model=None)
async def introspect(request: Request, context: Context) -> Response:
    """Whether a token is active, for confidential clients (resource servers)."""
    try:
        params = await _form_params(request)
        client = await context.oauth.grants.authenticate(_client_credentials(request, params))
        status = await context.oauth.status.introspect(client, _required(params, "token"))
    except OAuthError as error:
        return _oauth_error(request, error)
    return JSONResponse(status, headers=_NO_STORE)


@router.get("/oauth2/userinfo", summary="UserInfo (OIDC Core §5.3)", operation_id="userinfo_get")
@router.post("/oauth2/userinfo", summary="UserInfo (OIDC Core §5.3)", operation_id="userinfo_post")
async def userinfo(request: Request, context: Context) -> Response:
    """``sub``, and ``email``/``email_verified``/``name`` as the token's scope allows."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        # RFC 6750 §3.1: a request without credentials gets a bare challenge.
        return Response(status_code=401, headers={"WWW-Authenticate": 'Bearer realm="jotauth"'})
    try:
        info = await context.oauth.status.userinfo(value.strip())
    except OAuthError as error:
        challenge = f'Bearer realm="jotauth", error="{error.error}"'
        return JSONResponse(
            {"error": error.error, "error_description": error.description},
            status_code=401,
            headers={"WWW-Authenticate": challenge, **_NO_STORE},
        )
    return JSONResponse(info, headers=_NO_STORE)


# --- RP-initiated logout -----------------------------------------------------------------------


@router.get("/oauth2/logout", summary="RP-initiated logout", response_model=None)
async def logout_page(request: Request, context: Context) -> Response:
    """Ask the user to confirm (a GET never ends a session), then return to the client."""
    params = _single_values(request.query_params.multi_items())
    if params is None:
        return _not_redirectable(context, request, "A parameter was sent more than once.")
    try:
        checked = await context.oauth.end_session.check(params)
    except NotRedirectable as error:
        return _not_redirectable(context, request, error.description)
    nonce = context.csrf.new_form_nonce()
    fields = {
        k: params[k]
        for k in ("client_id", "post_logout_redirect_uri", "state", "id_token_hint")
        if params.get(k)
    }
    response = render_page(
        context.templates,
        request,
        "oauth_logout.html",
        {
            "client_name": checked.client.name if checked.client else None,
            "fields": fields,
            "csrf_token": context.csrf.form_token(nonce),
        },
        form_targets=(*context.origins.allowed, *_client_origins(checked.client)),
    )
    context.cookies.set_login_form_nonce(response, nonce, max_age=3600)
    return response


@router.post("/oauth2/logout", summary="RP-initiated logout confirmation", response_model=None)
async def logout_submit(
    request: Request,
    context: Context,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """End the browser's session, clear the cookies, go to the registered URI."""
    params = await _hosted_form(context, request, csrf_token)
    if isinstance(params, Response):
        return params
    try:
        checked = await context.oauth.end_session.check(params)
    except NotRedirectable as error:
        return _not_redirectable(context, request, error.description)
    await end_browser_session(context, request)
    if checked.location:
        response: Response = RedirectResponse(checked.location, status_code=303)
    else:
        response = render_page(
            context.templates, request, "logged_out.html", {"login_url": "/login"}
        )
    context.cookies.clear_all(response)
    return response


# --- request parsing -------------------------------------------------------------------------


def _client_origins(client: OAuthClient | None) -> frozenset[str]:
    return client.origins() if client else frozenset()


def _single_values(items: list[tuple[str, Any]]) -> dict[str, str] | None:
    """Parameters as a dict; None when one is repeated (RFC 6749 §3.1: MUST NOT)."""
    params: dict[str, str] = {}
    for name, value in items:
        if name in params or not isinstance(value, str) or len(params) >= _MAX_FORM_FIELDS:
            return None
        params[name] = value
    return params


async def _form_params(request: Request) -> dict[str, str]:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != _FORM:
        raise InvalidRequest("the body must be application/x-www-form-urlencoded")
    try:
        form: FormData = await request.form()
    except Exception as error:  # python-multipart: malformed body
        raise InvalidRequest("the form body cannot be parsed") from error
    params = _single_values(form.multi_items())
    if params is None:
        raise InvalidRequest("a parameter was sent more than once")
    return params


def _client_credentials(request: Request, params: dict[str, str]) -> ClientCredentials:
    """``client_secret_basic``, ``client_secret_post`` or ``none`` (exactly one of them)."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or "client_secret" in params:
            raise InvalidClient("use one client authentication method")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidClient("malformed Basic credentials") from None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise InvalidClient("malformed Basic credentials")
        # RFC 6749 §2.3.1: both parts are form-urlencoded before the Basic encoding.
        return ClientCredentials(unquote(client_id), unquote(secret), "client_secret_basic")
    form_id = params.get("client_id")
    if not form_id:
        raise InvalidClient("client authentication is required")
    form_secret = params.get("client_secret")
    if form_secret is not None:
        return ClientCredentials(form_id, form_secret, "client_secret_post")
    return ClientCredentials(form_id, None, "none")


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise InvalidRequest(f"{name} is required")
    return value


def _oauth_error(request: Request, error: OAuthError) -> Response:
    headers = dict(_NO_STORE)
    if isinstance(error, InvalidClient) and request.headers.get("authorization"):
        # RFC 6749 §5.2: a failed Basic authentication answers with its challenge.
        headers["WWW-Authenticate"] = 'Basic realm="jotauth"'
    status = error.status if isinstance(error, InvalidClient) else 400
    return JSONResponse(
        {"error": error.error, "error_description": error.description},
        status_code=status,
        headers=headers,
    )
