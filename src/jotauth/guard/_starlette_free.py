"""Stand-ins for ``starlette.authentication`` when Starlette is not installed: the guard is
pure ASGI, and an app on another framework still gets the same attributes."""

from __future__ import annotations

from collections.abc import Sequence


class AuthCredentials:
    """Like Starlette's: the granted scopes as a list."""

    def __init__(self, scopes: Sequence[str] | None = None) -> None:
        self.scopes = [] if scopes is None else list(scopes)


class BaseUser:
    """Like Starlette's: what every user object answers."""

    @property
    def is_authenticated(self) -> bool:
        raise NotImplementedError()

    @property
    def display_name(self) -> str:
        raise NotImplementedError()

    @property
    def identity(self) -> str:
        raise NotImplementedError()
