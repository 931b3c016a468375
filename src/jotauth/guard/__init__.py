"""Resource-server guard: ASGI middleware, FastAPI dependencies, CSRF, silent refresh.

The Flask extension lives in :mod:`jotauth.guard.flask` and the FastAPI dependencies in
:mod:`jotauth.guard.fastapi` (each imports its framework); everything here is pure ASGI.
"""

from .authenticator import Authenticated, Authenticator, RequestView
from .credentials import WEBSOCKET_BEARER_PROTOCOL, Credentials
from .csrf import CsrfPolicy
from .errors import (
    CsrfFailed,
    GuardError,
    InsufficientScope,
    KeysUnavailable,
    MalformedAuthorization,
    MissingCredentials,
    RefreshFailed,
    RefreshUnavailable,
    TokenRejected,
)
from .middleware import JWTAuthMiddleware
from .paths import PathRules
from .refresh import HttpRefresh, RefreshResult, SilentRefresh

__all__ = [
    "WEBSOCKET_BEARER_PROTOCOL",
    "Authenticated",
    "Authenticator",
    "Credentials",
    "CsrfFailed",
    "CsrfPolicy",
    "GuardError",
    "HttpRefresh",
    "InsufficientScope",
    "JWTAuthMiddleware",
    "KeysUnavailable",
    "MalformedAuthorization",
    "MissingCredentials",
    "PathRules",
    "RefreshFailed",
    "RefreshResult",
    "RefreshUnavailable",
    "RequestView",
    "SilentRefresh",
    "TokenRejected",
]
