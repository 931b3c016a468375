"""The passkey API of DESIGN §13: register, list, rename, remove, passwordless sign-in.

Options come back as the WebAuthn JSON forms, ready for
``PublicKeyCredential.parseCreationOptionsFromJSON`` / ``parseRequestOptionsFromJSON`` (or
@simplewebauthn/browser's ``startRegistration({optionsJSON})``); credentials go in as
``PublicKeyCredential.toJSON()`` gives them. Registering and removing passkeys needs a recent
authentication (403 ``insufficient_user_authentication`` otherwise, RFC 9470: checked by the
use cases, as for the other factors).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import JSONResponse, Response

from jotauth.passkeys import (
    Passkey,
    PasskeyMalformed,
    Passkeys,
    PasskeySignIn,
    PasskeysUnavailable,
)
from jotauth.server.context import Context, ServerContext
from jotauth.server.delivery import client_of
from jotauth.server.problems import problem_schema
from jotauth.server.routes.auth_api import AuthenticatedCaller, _check_csrf, require_json
from jotauth.server.schemas import (
    PasskeyInfo,
    PasskeyList,
    PasskeyLoginRequest,
    PasskeyRegisterRequest,
    PasskeyRenameRequest,
    TokenResponse,
)

_PROBLEM = problem_schema()
_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _PROBLEM,
    403: _PROBLEM,
    404: _PROBLEM,
    503: _PROBLEM,
}
_OPTIONS: dict[int | str, dict[str, Any]] = {
    200: {"description": "WebAuthn options JSON (parse*OptionsFromJSON)"}
}
PasskeyId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]

router = APIRouter(
    prefix="/api/auth/passkeys",
    tags=["passkeys"],
    dependencies=[Depends(require_json)],
    responses={400: _PROBLEM, 413: _PROBLEM, 415: _PROBLEM, 422: _PROBLEM, 500: _PROBLEM},
)


def passkeys_of(context: ServerContext) -> Passkeys:
    """The passkey use cases, or 404 ``passkeys_unavailable`` when they are off."""
    if context.passkeys is None:
        raise PasskeysUnavailable()
    return context.passkeys


def passkey_sign_in_of(context: ServerContext) -> PasskeySignIn:
    """The passwordless sign-in, or 404 ``passkeys_unavailable`` when passkeys are off."""
    if context.passkey_sign_in is None:
        raise PasskeysUnavailable()
    return context.passkey_sign_in


def credential_object(value: object) -> Mapping[str, Any]:
    """The request's ``credential`` as a JSON object (anything else is malformed, 400)."""
    if not isinstance(value, dict):
        raise PasskeyMalformed()
    return value


def passkey_info(passkey: Passkey) -> PasskeyInfo:
    """What the API shows of a passkey."""
    return PasskeyInfo(
        id=passkey.id,
        name=passkey.name,
        created_at=passkey.created_at,
        last_used_at=passkey.last_used_at,
        synced=passkey.backup_eligible,
        backed_up=passkey.backup_state,
        transports=list(passkey.transports),
        aaguid=passkey.aaguid,
    )


@router.post(
    "/register/options",
    summary="Creation options for a new passkey (signed in, recent authentication)",
    responses={**_OPTIONS, **_AUTH_ERRORS},
)
async def registration_options(
    request: Request, caller: AuthenticatedCaller, context: Context
) -> JSONResponse:
    """``PublicKeyCredentialCreationOptionsJSON``, its challenge bound to this session."""
    passkeys = passkeys_of(context)
    _check_csrf(request, context, caller)
    options = await passkeys.registration_options(
        user_id=caller.claims.sub, session_id=caller.session_id
    )
    return JSONResponse(options)


@router.post(
    "/register",
    summary="Register a passkey",
    status_code=201,
    response_model=PasskeyInfo,
    responses={**_AUTH_ERRORS, 409: _PROBLEM},
)
async def register(
    request: Request, body: PasskeyRegisterRequest, caller: AuthenticatedCaller, context: Context
) -> PasskeyInfo:
    """Verify ``navigator.credentials.create()``'s answer to this session's options."""
    passkeys = passkeys_of(context)
    _check_csrf(request, context, caller)
    passkey = await passkeys.register(
        user_id=caller.claims.sub,
        session_id=caller.session_id,
        credential=credential_object(body.credential),
        name=body.name,
    )
    return passkey_info(passkey)


@router.get(
    "", summary="The account's passkeys", response_model=PasskeyList, responses=_AUTH_ERRORS
)
async def list_passkeys(caller: AuthenticatedCaller, context: Context) -> PasskeyList:
    """Every passkey of the account, oldest first."""
    passkeys = passkeys_of(context)
    return PasskeyList(
        passkeys=[passkey_info(p) for p in await passkeys.of_user(caller.claims.sub)]
    )


@router.patch(
    "/{passkey_id}",
    summary="Rename a passkey",
    response_model=PasskeyInfo,
    responses=_AUTH_ERRORS,
)
async def rename_passkey(
    request: Request,
    passkey_id: PasskeyId,
    body: PasskeyRenameRequest,
    caller: AuthenticatedCaller,
    context: Context,
) -> PasskeyInfo:
    """Rename one of the caller's passkeys (404 for another user's)."""
    passkeys = passkeys_of(context)
    _check_csrf(request, context, caller)
    passkey = await passkeys.rename(
        user_id=caller.claims.sub, passkey_id=passkey_id, name=body.name
    )
    return passkey_info(passkey)


@router.delete(
    "/{passkey_id}",
    summary="Remove a passkey (recent authentication; never the last way to sign in)",
    status_code=204,
    response_class=Response,
    responses={**_AUTH_ERRORS, 409: _PROBLEM},
)
async def remove_passkey(
    request: Request, passkey_id: PasskeyId, caller: AuthenticatedCaller, context: Context
) -> Response:
    """Remove one of the caller's passkeys: 404 for another user's, 409
    ``last_sign_in_method`` when the account would have no way left to sign in."""
    passkeys = passkeys_of(context)
    _check_csrf(request, context, caller)
    await passkeys.remove(
        user_id=caller.claims.sub, session_id=caller.session_id, passkey_id=passkey_id
    )
    return Response(status_code=204)


@router.post(
    "/login/options",
    summary="Request options for a passwordless sign-in",
    responses={**_OPTIONS, 404: _PROBLEM, 503: _PROBLEM},
)
async def login_options(context: Context) -> JSONResponse:
    """``PublicKeyCredentialRequestOptionsJSON`` without ``allowCredentials`` (discoverable
    credentials, the browser's autofill) and ``userVerification: "required"``."""
    return JSONResponse(await passkey_sign_in_of(context).options())


@router.post(
    "/login",
    summary="Sign in with a passkey (passwordless)",
    response_model=None,
    responses={
        200: {"model": TokenResponse, "description": "Body delivery"},
        204: {"description": "Cookie delivery: the tokens are in Set-Cookie"},
        401: _PROBLEM,
        403: _PROBLEM,
        404: _PROBLEM,
        503: _PROBLEM,
    },
)
async def login(request: Request, body: PasskeyLoginRequest, context: Context) -> Response:
    """The normal login response (cookie or body, like ``/api/auth/login``); amr
    ``[hwk|swk, "mfa"]``."""
    passkeys = passkey_sign_in_of(context)
    # Login CSRF, as for the password login: a forged sign-in would need the victim's key
    # anyway, but the same Origin rule keeps every sign-in endpoint alike.
    context.origins.check_login_request(request)
    native = body.client == "native"
    signed_in = await passkeys.login(
        credential=credential_object(body.credential),
        client=client_of(request),
        refresh_delivery="body" if native else "cookie",
    )
    return context.delivery.deliver(signed_in, delivery=body.delivery, native=native)
