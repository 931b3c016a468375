"""Resource-server guard: ASGI middleware, FastAPI dependencies, CSRF, silent refresh.

The Flask extension lives in :mod:`jotauth.guard.flask` and the FastAPI dependencies in
:mod:`jotauth.guard.fastapi` (each imports its framework); everything here is pure ASGI.
Exported: what an app configures (middleware, CSRF policy, silent refresh), the user it
gets (:class:`TokenUser`) and the errors it may render or catch. The machinery behind them
(``authenticator``, ``credentials``, ``paths``) is internal.
"""

from .credentials import WEBSOCKET_BEARER_PROTOCOL
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
from .identity import TokenUser
from .middleware import JWTAuthMiddleware
from .refresh import HttpRefresh, RefreshResult, SilentRefresh

__all__ = [
    "WEBSOCKET_BEARER_PROTOCOL",
    "CsrfFailed",
    "CsrfPolicy",
    "GuardError",
    "HttpRefresh",
    "InsufficientScope",
    "JWTAuthMiddleware",
    "KeysUnavailable",
    "MalformedAuthorization",
    "MissingCredentials",
    "RefreshFailed",
    "RefreshResult",
    "RefreshUnavailable",
    "SilentRefresh",
    "TokenRejected",
    "TokenUser",
]
