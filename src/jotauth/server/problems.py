"""The auth server's errors and its FastAPI/Starlette adapter over :mod:`jotauth.problems`.

Every error a client can see is an RFC 9457 ``application/problem+json`` document rendered
by the one shared renderer (status, RFC 6750 challenge and body all come from its table).
Routes raise a :class:`ServerProblem` (or let a lower layer's error propagate: every one is
a :class:`~jotauth.errors.JotauthError`) and :func:`install_problem_handlers` turns it into
HTTP. Nothing here decides a status or a challenge.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from jotauth.errors import ErrorCode, JotauthError
from jotauth.http import errors as http_errors
from jotauth.problems import PROBLEM_JSON, ProblemRenderer, RenderedProblem
from jotauth.store import StoreUnavailable

REALM = "jotauth"

_log = logging.getLogger("jotauth.server.problems")
# Headers that describe the problem+json body; a page rendering the problem as HTML
# (the hosted login form) takes only the others (challenge, no-store, Retry-After).
_BODY_HEADERS = frozenset({b"content-type", b"content-length"})


@dataclass(frozen=True)
class Problem:
    """One rendered problem, as the server's routes handle it."""

    rendered: RenderedProblem

    @property
    def status(self) -> int:
        """The HTTP status."""
        return self.rendered.status

    @property
    def code(self) -> ErrorCode:
        """The code in the body (``internal_error`` for internal failures)."""
        return self.rendered.code

    @property
    def detail(self) -> str:
        """The detail a client may be shown."""
        return self.rendered.detail

    @property
    def title(self) -> str:
        """The short human-readable summary (RFC 9457 ``title``)."""
        return self.rendered.title

    def response_headers(self) -> dict[str, str]:
        """The headers of this problem that do not describe its JSON body."""
        return {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in self.rendered.headers
            if name not in _BODY_HEADERS
        }

    def to_response(self) -> Response:
        """Render as ``application/problem+json``."""
        response = Response(self.rendered.body, status_code=self.rendered.status)
        response.raw_headers = list(self.rendered.headers)
        return response


def problem_for_layer_error(error: JotauthError) -> Problem:
    """``error`` (of any layer) as a renderable problem."""
    return Problem(ProblemRenderer(REALM).render(error))


class ServerProblem(JotauthError):
    """Base of the server layer's errors: each subclass names one :class:`ErrorCode`."""

    code = ErrorCode.BAD_REQUEST
    default_detail = "The request could not be processed."

    def problem(self) -> Problem:
        """This error as a renderable problem."""
        return problem_for_layer_error(self)


class MalformedRequest(ServerProblem):
    code = ErrorCode.MALFORMED_REQUEST
    default_detail = "The request body is not valid JSON."


class ValidationFailed(ServerProblem):
    code = ErrorCode.VALIDATION_FAILED
    default_detail = "The request does not match the expected schema."


class UnsupportedMediaType(ServerProblem):
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE
    default_detail = "Send the request body as application/json."


class PayloadTooLarge(ServerProblem):
    code = ErrorCode.PAYLOAD_TOO_LARGE
    default_detail = "The request body exceeds the size limit."


class NotAuthenticated(http_errors.MissingCredentials, ServerProblem):
    """No access token was presented (bare challenge, RFC 6750 §3.1): ``missing_token``,
    the same failure as the guard's."""

    default_detail = "A valid access token is required."


class MalformedAuthorizationHeader(http_errors.MalformedAuthorization, ServerProblem):
    """The guard's ``malformed_authorization`` (400, ``invalid_request`` challenge)."""


class MissingRefreshToken(ServerProblem):
    """A refresh without any refresh token: no credentials, so a bare challenge."""

    code = ErrorCode.MISSING_REFRESH_TOKEN
    default_detail = "No refresh token was presented."


class CsrfFailed(http_errors.CsrfFailed, ServerProblem):
    """The guard's ``csrf_failed``, raised by the server's own checks."""


class OriginNotAllowed(ServerProblem):
    code = ErrorCode.ORIGIN_NOT_ALLOWED
    default_detail = "Requests from this origin are not accepted."


class InvalidReturnTo(ServerProblem):
    code = ErrorCode.INVALID_RETURN_TO
    default_detail = "return_to must be a URL on an allowed origin."


class NotFound(ServerProblem):
    code = ErrorCode.NOT_FOUND
    default_detail = "There is nothing here."


class MethodNotAllowed(ServerProblem):
    code = ErrorCode.METHOD_NOT_ALLOWED
    default_detail = "This method is not allowed on this resource."


class FeatureDisabled(ServerProblem):
    code = ErrorCode.FEATURE_DISABLED
    default_detail = "This feature is not enabled on this server."


class ServiceUnavailable(StoreUnavailable, ServerProblem):
    """The store's ``store_unavailable`` (503 + Retry-After, never a 401 that would log
    anyone out, DESIGN §5), raised by the server itself."""


class InternalError(ServerProblem):
    code = ErrorCode.INTERNAL_ERROR
    default_detail = "The server could not complete the request."


def _validation_problem(exc: RequestValidationError) -> ServerProblem:
    errors = exc.errors()
    if any(err.get("type") == "json_invalid" for err in errors):
        return MalformedRequest()
    # Name the offending fields, but never echo input values (they may be passwords).
    fields = sorted(
        {".".join(str(part) for part in err.get("loc", ()) if part != "body") for err in errors}
    )
    described = ", ".join(f for f in fields if f)[:200]
    return ValidationFailed(f"Invalid or missing fields: {described}." if described else None)


_HTTP_EXCEPTION_PROBLEMS: Mapping[int, type[ServerProblem]] = {
    400: MalformedRequest,
    401: NotAuthenticated,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: ValidationFailed,
}


def install_problem_handlers(
    app: FastAPI, *, on_problem: Callable[[Problem], None] = lambda _problem: None
) -> None:
    """Register the server's error-to-HTTP adapter on ``app``.

    Every :class:`~jotauth.errors.JotauthError` (server, sessions, users, store, keys, jose)
    is rendered by the shared renderer; FastAPI's validation errors and Starlette's HTTP
    exceptions are first mapped to server errors. ``on_problem`` sees every problem
    rendered (metrics).
    """
    problems = ProblemRenderer(REALM)

    def render(problem: RenderedProblem) -> Response:
        on_problem(Problem(problem))
        response = Response(problem.body, status_code=problem.status)
        response.raw_headers = list(problem.headers)
        return response

    async def on_jotauth_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, JotauthError)
        problem = problems.render(exc)
        if problem.status >= 500:
            # The client is told nothing about internals; the log keeps the real code.
            _log.warning(
                "request failed: %s",
                type(exc).__name__,
                extra={"code": str(exc.reported_code), "path": request.url.path},
            )
        return render(problem)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return render(problems.render(_validation_problem(exc)))

    async def on_http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        cls = _HTTP_EXCEPTION_PROBLEMS.get(exc.status_code)
        if cls is not None:
            problem = problems.render(cls())
        elif 400 <= exc.status_code < 500:
            problem = problems.render_code(
                ErrorCode.HTTP_ERROR, "The request failed.", status=exc.status_code
            )
        else:
            problem = problems.render(InternalError())
        response = render(problem)
        if exc.status_code == 405 and exc.headers and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        # Catch-all: log the type (the traceback stays in the server log), return nothing
        # about the internals to the client.
        _log.error(
            "unhandled error: %s",
            type(exc).__name__,
            exc_info=exc,
            extra={"path": request.url.path},
        )
        return render(problems.render(InternalError()))

    app.add_exception_handler(JotauthError, on_jotauth_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    app.add_exception_handler(Exception, on_unexpected)


def problem_schema() -> dict[str, Any]:
    """OpenAPI description of a problem document, for the documented error responses."""
    return {
        "description": "RFC 9457 problem",
        "content": {
            PROBLEM_JSON: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "code": {"type": "string"},
                    },
                    "required": ["type", "title", "status", "detail", "code"],
                }
            }
        },
    }
