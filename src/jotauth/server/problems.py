"""The auth server's error vocabulary and its one mapping to HTTP.

Every error a client can see is an RFC 9457 ``application/problem+json`` document with
``type``, ``title``, ``status``, ``detail`` and a stable machine-readable ``code``. Every
401 carries the RFC 6750 §3 ``WWW-Authenticate: Bearer`` challenge. Nothing else in the
server builds error responses by hand: routes raise a :class:`ServerProblem` (or let a
lower layer's error propagate) and :func:`install_problem_handlers` turns it into HTTP.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

PROBLEM_JSON = "application/problem+json"
REALM = "jotauth"
_PROBLEM_TYPE_BASE = "https://jotauth.dev/problems/"

_log = logging.getLogger("jotauth.server.problems")


@dataclass(frozen=True)
class Problem:
    """One RFC 9457 problem, ready to be rendered."""

    status: int
    code: str
    title: str
    detail: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def response_headers(self) -> dict[str, str]:
        """Headers every rendering of this problem carries (RFC 6750 challenge on 401)."""
        headers = dict(self.headers)
        if self.status == 401:
            headers["WWW-Authenticate"] = bearer_challenge("invalid_token", self.detail)
        headers.setdefault("Cache-Control", "no-store")
        return headers

    def to_response(self) -> Response:
        """Render as ``application/problem+json``, adding the RFC 6750 challenge on 401."""
        body = {
            "type": _PROBLEM_TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        return Response(
            json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
            status_code=self.status,
            headers=self.response_headers(),
            media_type=PROBLEM_JSON,
        )


def bearer_challenge(error: str, description: str) -> str:
    """Build an RFC 6750 §3 ``WWW-Authenticate`` value with a header-safe description."""
    # RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E (no quote,
    # no backslash, ASCII only), so anything else is replaced rather than escaped.
    safe = "".join(c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "?" for c in description)
    return f'Bearer realm="{REALM}", error="{error}", error_description="{safe}"'


class ServerProblem(Exception):
    """Base of the server layer's errors: each subclass has a fixed status, code and title."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"
    default_detail: str = "The request could not be processed."

    def __init__(self, detail: str | None = None, *, headers: Mapping[str, str] | None = None):
        super().__init__(detail or self.default_detail)
        self.detail = detail or self.default_detail
        self.headers = dict(headers or {})

    def problem(self) -> Problem:
        """This error as a renderable problem."""
        return Problem(self.status, self.code, self.title, self.detail, self.headers)


class MalformedRequest(ServerProblem):
    status, code, title = 400, "malformed_request", "Malformed request"
    default_detail = "The request body is not valid JSON."


class ValidationFailed(ServerProblem):
    status, code, title = 422, "validation_failed", "Invalid request"
    default_detail = "The request does not match the expected schema."


class UnsupportedMediaType(ServerProblem):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"
    default_detail = "Send the request body as application/json."


class PayloadTooLarge(ServerProblem):
    status, code, title = 413, "payload_too_large", "Request body too large"
    default_detail = "The request body exceeds the size limit."


class NotAuthenticated(ServerProblem):
    status, code, title = 401, "invalid_token", "Not authenticated"
    default_detail = "A valid access token is required."


class InvalidCredentials(ServerProblem):
    status, code, title = 401, "invalid_credentials", "Invalid credentials"
    # One message for unknown user and wrong password: no user enumeration.
    default_detail = "The email or password is incorrect."


class MissingRefreshToken(ServerProblem):
    status, code, title = 401, "invalid_token", "Not authenticated"
    default_detail = "No refresh token was presented."


class CsrfFailed(ServerProblem):
    status, code, title = 403, "csrf_failed", "CSRF check failed"
    default_detail = "The X-XSRF-TOKEN header is missing or does not match this session."


class OriginNotAllowed(ServerProblem):
    status, code, title = 403, "origin_not_allowed", "Origin not allowed"
    default_detail = "Requests from this origin are not accepted."


class InvalidReturnTo(ServerProblem):
    status, code, title = 400, "invalid_return_to", "Redirect target not allowed"
    default_detail = "return_to must be a URL on an allowed origin."


class NotFound(ServerProblem):
    status, code, title = 404, "not_found", "Not found"
    default_detail = "There is nothing here."


class MethodNotAllowed(ServerProblem):
    status, code, title = 405, "method_not_allowed", "Method not allowed"
    default_detail = "This method is not allowed on this resource."


class FeatureDisabled(ServerProblem):
    status, code, title = 404, "feature_disabled", "Not enabled"
    default_detail = "This feature is not enabled on this server."


class ServiceUnavailable(ServerProblem):
    status, code, title = 503, "store_unavailable", "Service unavailable"
    # 503 rather than 401 so that an outage never logs anyone out (DESIGN §5).
    default_detail = "The session store is unreachable. Retry shortly."

    def __init__(self, detail: str | None = None):
        super().__init__(detail, headers={"Retry-After": "5"})


class InternalError(ServerProblem):
    status, code, title = 500, "internal_error", "Internal server error"
    default_detail = "The server could not complete the request."


# Codes raised by the lower layers (sessions/users/jose), mapped to HTTP status here and
# nowhere else. An unknown code from a known layer is a 400, never a 500.
_STATUS_BY_CODE: Mapping[str, tuple[int, str]] = {
    # sessions
    "session_expired": (401, "Session expired"),
    "session_revoked": (401, "Session revoked"),
    "session_not_found": (404, "Not found"),
    "refresh_reused": (401, "Refresh token reused"),
    "invalid_refresh_token": (401, "Invalid refresh token"),
    "refresh_conflict": (409, "Concurrent refresh"),
    # users
    "invalid_credentials": (401, "Invalid credentials"),
    "too_many_attempts": (429, "Too many attempts"),
    "user_exists": (409, "Email already registered"),
    "weak_password": (422, "Password rejected"),
    "password_too_long": (422, "Password rejected"),
    "invalid_email": (422, "Invalid email"),
    "invalid_profile": (422, "Invalid profile"),
    "user_not_found": (404, "Not found"),
    "hash_queue_full": (503, "Service unavailable"),
    # store and keys
    "store_unavailable": (503, "Service unavailable"),
    "throttle_unavailable": (503, "Service unavailable"),
    "keys_unavailable": (503, "Service unavailable"),
    "seal_broken": (500, "Internal server error"),
    "key_not_found": (404, "Not found"),
}


def problem_for_layer_error(exc: Exception) -> Problem:
    """Map an error from a lower layer (it has a stable ``code``) to a problem.

    Token errors from ``jose``/``verify`` are always 401 ``invalid_token``-style challenges;
    the code in the body keeps the precise reason (``token_expired``…).
    """
    code = str(getattr(exc, "code", "bad_request"))
    status, title = _STATUS_BY_CODE.get(code, (400, "Bad request"))
    if _is_token_error(exc):
        status, title = 401, "Invalid token"
    headers: dict[str, str] = {}
    if status == 429:
        retry_after = getattr(exc, "retry_after", 60)
        headers["Retry-After"] = str(max(1, math.ceil(float(retry_after))))
    if status == 503:
        headers["Retry-After"] = "5"
        detail = ServiceUnavailable.default_detail
    elif status >= 500:
        code, detail = InternalError.code, InternalError.default_detail
    elif code == "invalid_credentials":
        detail = InvalidCredentials.default_detail
    else:
        detail = str(exc) or title
    return Problem(status, code, title, detail, headers)


def _is_token_error(exc: Exception) -> bool:
    return any(cls.__name__ == "InvalidToken" for cls in type(exc).__mro__)


def _validation_problem(exc: RequestValidationError) -> Problem:
    errors = exc.errors()
    if any(err.get("type") == "json_invalid" for err in errors):
        return MalformedRequest().problem()
    # Name the offending fields, but never echo input values (they may be passwords).
    fields = sorted(
        {".".join(str(part) for part in err.get("loc", ()) if part != "body") for err in errors}
    )
    described = ", ".join(f for f in fields if f)[:200]
    detail = f"Invalid or missing fields: {described}." if described else None
    return ValidationFailed(detail).problem()


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
    app: FastAPI,
    *,
    layer_errors: tuple[type[Exception], ...],
    on_problem: Callable[[Problem], None] = lambda _problem: None,
) -> None:
    """Register the single error-to-HTTP mapping on ``app``.

    ``layer_errors`` are the base exception classes of the lower layers (each instance has a
    stable ``code``); they are mapped through :func:`problem_for_layer_error`.
    ``on_problem`` sees every problem rendered (metrics).
    """

    def render(problem: Problem) -> Response:
        on_problem(problem)
        return problem.to_response()

    async def on_server_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServerProblem)
        return render(exc.problem())

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return render(_validation_problem(exc))

    async def on_http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        cls = _HTTP_EXCEPTION_PROBLEMS.get(exc.status_code)
        if cls is None:
            status = exc.status_code if 400 <= exc.status_code < 600 else 500
            problem = Problem(status, "http_error", "Request failed", "The request failed.")
        else:
            problem = cls().problem()
        response = render(problem)
        if exc.status_code == 405 and exc.headers and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response

    async def on_layer_error(request: Request, exc: Exception) -> Response:
        problem = problem_for_layer_error(exc)
        if problem.status >= 500:
            _log.warning(
                "request failed: %s",
                type(exc).__name__,
                extra={"code": problem.code, "path": request.url.path},
            )
        return render(problem)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        # Catch-all: log the type (the traceback stays in the server log), return nothing
        # about the internals to the client.
        _log.error(
            "unhandled error: %s",
            type(exc).__name__,
            exc_info=exc,
            extra={"path": request.url.path},
        )
        return render(InternalError().problem())

    app.add_exception_handler(ServerProblem, on_server_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    for cls in layer_errors:
        app.add_exception_handler(cls, on_layer_error)
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
