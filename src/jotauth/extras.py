"""Which pip extra provides which import, so a missing one is one line, not a traceback.

``pip install jotauth`` is the verifier, JOSE and the offline CLI tools (cryptography, httpx,
click, pybase64). The rest comes in extras (``pyproject.toml``); when code needs a module of one
that is not installed it raises :class:`MissingExtra`, a ``ModuleNotFoundError`` whose message
names the extra and the command that installs it::

    jotauth.guard.fastapi needs the 'fastapi' extra: pip install 'jotauth[fastapi]'

This module imports nothing from jotauth or any third party, so every layer may use it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from types import MappingProxyType

# Top-level import name -> the extra that installs it. An import not listed here is a bug
# (or a base dependency), never reported as a missing extra.
EXTRA_OF_MODULE: Mapping[str, str] = MappingProxyType(
    {
        "fastapi": "fastapi",
        "starlette": "fastapi",
        "flask": "flask",
        "werkzeug": "flask",
        "asyncpg": "postgres",
        "redis": "redis",
        # the auth server's own stack
        "pydantic": "server",
        "pydantic_settings": "server",
        "uvicorn": "server",
        "uvloop": "server",
        "httptools": "server",
        "sqlalchemy": "server",
        "alembic": "server",
        "aiosqlite": "server",
        "argon2": "server",
        "bcrypt": "server",
        "jinja2": "server",
        "segno": "server",
        "webauthn": "server",
        "multipart": "server",
        "python_multipart": "server",
        "prometheus_client": "server",
        "idna": "server",
    }
)


class MissingExtra(ModuleNotFoundError):
    """A module of a jotauth extra that is not installed; the message says what to install."""

    def __init__(self, extra: str, *, needed_by: str, module: str) -> None:
        super().__init__(
            f"{needed_by} needs the '{extra}' extra: pip install 'jotauth[{extra}]'",
            name=module,
        )
        self.extra = extra
        self.needed_by = needed_by


def extra_for(error: ModuleNotFoundError) -> str | None:
    """The extra that provides the module ``error`` could not find (None: not an extra's)."""
    if isinstance(error, MissingExtra):
        return error.extra
    top = (error.name or "").partition(".")[0]
    return EXTRA_OF_MODULE.get(top)


def as_missing_extra(error: ModuleNotFoundError, *, needed_by: str) -> MissingExtra | None:
    """``error`` as a :class:`MissingExtra` for ``needed_by``, or None when no extra has the
    module (then the original error is the truth and should propagate)."""
    if isinstance(error, MissingExtra):
        return error
    extra = extra_for(error)
    if extra is None:
        return None
    return MissingExtra(extra, needed_by=needed_by, module=error.name or "")


def require_modules(*modules: str, needed_by: str) -> None:
    """Raise :class:`MissingExtra` for the first of ``modules`` that is not installed."""
    for module in modules:
        if importlib.util.find_spec(module) is None:
            extra = EXTRA_OF_MODULE.get(module.partition(".")[0], "server")
            raise MissingExtra(extra, needed_by=needed_by, module=module)


def require_drivers(*, database_url: str, redis_url: str | None) -> None:
    """The drivers the configured database and Redis need: PostgreSQL's ``asyncpg``
    (``jotauth[postgres]``), ``redis`` (``jotauth[redis]``)."""
    if database_url.startswith(("postgresql", "postgres")):
        require_modules("asyncpg", needed_by="a PostgreSQL database_url")
    if redis_url:
        require_modules("redis", needed_by="redis_url")
