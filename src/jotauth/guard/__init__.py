"""Resource-server guard: ASGI middleware, FastAPI dependencies, CSRF, silent refresh.

The Flask extension lives in :mod:`jotauth.guard.flask` and the FastAPI dependencies in
:mod:`jotauth.guard.fastapi` (each imports its framework); everything here is pure ASGI.
Exported: what an app configures (middleware, CSRF policy, silent refresh, the step-up
requirements of the middleware's ``step_up=``: :func:`require_amr`,
:func:`require_recent_auth`), the user it gets (:class:`TokenUser`) and the errors it may
render or catch. The machinery behind them (``authenticator``, ``credentials``, ``paths``)
is internal.
"""

from .credentials import WEBSOCKET_BEARER_PROTOCOL
from .csrf import CsrfPolicy
from .errors import (
    CsrfFailed,
    GuardError,
    InsufficientScope,
    InsufficientUserAuthentication,
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
from .step_up import StepUp, require_amr, require_recent_auth

__all__ = [
    "WEBSOCKET_BEARER_PROTOCOL",
    "CsrfFailed",
    "CsrfPolicy",
    "GuardError",
    "HttpRefresh",
    "InsufficientScope",
    "InsufficientUserAuthentication",
    "JWTAuthMiddleware",
    "KeysUnavailable",
    "MalformedAuthorization",
    "MissingCredentials",
    "RefreshFailed",
    "RefreshResult",
    "RefreshUnavailable",
    "SilentRefresh",
    "StepUp",
    "TokenRejected",
    "TokenUser",
    "require_amr",
    "require_recent_auth",
]
