"""Delivering a signed-in session over HTTP: cookies (browsers) or a JSON body (Bearer)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from jotauth.accounts import ClientInfo, Deferred, MfaRequired, Reauthenticated, SignedIn
from jotauth.http.cookies import cookie_value
from jotauth.server.cookies import CookiePolicy
from jotauth.server.csrf import CsrfTokens
from jotauth.server.schemas import TokenResponse

if TYPE_CHECKING:  # the context holds a SessionDelivery: a type-only import back
    from jotauth.server.context import ServerContext

# Tokens are never stored by browsers or proxies; pre-encoded, as Starlette would write them
# from a dict, ahead of the response's other headers.
_NO_STORE = ((b"cache-control", b"no-store"), (b"pragma", b"no-cache"))


def answered_then(context: ServerContext, later: Deferred, *, what: str) -> BackgroundTask:
    """Start ``later`` once the response has been sent: its duration (does the address have
    an account?) must not show in the answer's timing."""
    return BackgroundTask(context.accounts.quiet_work.start, later, what=what)


def request_cookie(request: Request, name: str) -> str | None:
    """The value of cookie ``name``, read as the guard reads it: a cookie sent twice is a
    400 ``duplicate_cookie``, never one of the two picked (HTTP/2 may split ``Cookie``)."""
    return cookie_value("; ".join(request.headers.getlist("cookie")), name)


def client_of(request: Request) -> ClientInfo:
    """The peer address and User-Agent of ``request`` (bounded, for storage)."""
    return ClientInfo.bounded(
        request.client.host if request.client else "", request.headers.get("user-agent")
    )


def _json(body: dict[str, object]) -> Response:
    body_bytes = json.dumps(body, separators=(",", ":")).encode()
    return _no_store(Response(body_bytes, media_type="application/json"))


def _token_json(body: TokenResponse) -> Response:
    """The bytes :func:`_json` makes of the model's dump, from pydantic's serialiser (about 5 µs
    less a refresh): every member is an ASCII token, a fixed word or an integer, which both
    write alike (compact, in field order, nothing escaped)."""
    return _no_store(
        Response(body.model_dump_json(exclude_none=True), media_type="application/json")
    )


def _no_store(response: Response) -> Response:
    response.raw_headers[0:0] = _NO_STORE
    return response


class SessionDelivery:
    """Turns a :class:`SignedIn` into the login/refresh response."""

    def __init__(
        self, *, cookies: CookiePolicy, csrf: CsrfTokens, clock: Callable[[], float]
    ) -> None:
        self._cookies = cookies
        self._csrf = csrf
        self._clock = clock

    def deliver(
        self,
        signed_in: SignedIn,
        *,
        delivery: str,
        native: bool,
        extra: dict[str, object] | None = None,
    ) -> Response:
        """204 + cookies, or the access token in a JSON body.

        Native clients (no cookie jar) get the refresh token in the body and no cookies;
        browsers always get it as an HttpOnly cookie, never readable by script. ``extra``
        members join the body (the recovery codes of an enrolment finished at login); in
        cookie delivery they make it a 200 with a JSON body of just them.
        """
        access = signed_in.access
        if native or delivery == "body":
            body = TokenResponse(
                access_token=access.token,
                expires_in=access.expires_in,
                expires_at=access.expires_at,
                refresh_token=signed_in.issued.refresh_token if native else None,
            )
            if extra:
                response = _json({**body.model_dump(exclude_none=True), **extra})
            else:
                response = _token_json(body)
            if not native:
                self.set_cookies(response, signed_in, with_access=False)
            return response
        response = _json(extra) if extra else _no_store(Response(status_code=204))
        self.set_cookies(response, signed_in, with_access=True)
        return response

    @staticmethod
    def mfa_required(held: MfaRequired) -> Response:
        """The ``mfa_required`` answer of a first factor (DESIGN §13): 200, no session, no
        cookie; the data a method needs (a passkey's request options) under its name."""
        body: dict[str, object] = {
            "mfa_required": True,
            "mfa_token": held.mfa_token,
            "expires_in": held.expires_in,
            "methods": list(held.methods),
        }
        if held.enrollment_required:
            body["enrollment_required"] = True
        for name, data in held.challenges.items():
            body.setdefault(name, dict(data))
        return _json(body)

    def deliver_reauthenticated(self, renewed: Reauthenticated, *, delivery: str) -> Response:
        """A re-authenticated session's new access token: 204 + the access cookie, or the
        token in a JSON body. The refresh token (and its cookie) stay as they were."""
        access = renewed.access
        if delivery == "body":
            body = TokenResponse(
                access_token=access.token,
                expires_in=access.expires_in,
                expires_at=access.expires_at,
            )
            return _token_json(body)
        response = _no_store(Response(status_code=204))
        self._cookies.set_access_cookie(response, access.token, max_age=access.expires_in)
        return response

    def set_cookies(self, response: Response, signed_in: SignedIn, *, with_access: bool) -> None:
        """Set the session cookies on ``response`` (access cookie only in cookie delivery)."""
        session = signed_in.session
        refresh_max_age = max(
            0, int(min(session.idle_expires_at, session.expires_at) - self._clock())
        )
        self._cookies.set_session_cookies(
            response,
            access_token=signed_in.access.token if with_access else None,
            access_max_age=signed_in.access.expires_in,
            refresh_token=signed_in.issued.refresh_token,
            refresh_max_age=refresh_max_age,
            csrf_token=self._csrf.token_for_session(session.id),
        )

    def csrf_bound_to(self, header: str | None, session_id: str) -> bool:
        """Whether an ``X-XSRF-TOKEN`` value is the one bound to ``session_id``."""
        return self._csrf.belongs_to_session(header, session_id)
