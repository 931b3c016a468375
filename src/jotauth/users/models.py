"""The user as the rest of the system sees it (never with its password hash)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class User:
    """A user account. ``created_at`` is POSIX seconds."""

    id: str
    email: str
    name: str
    roles: tuple[str, ...]
    scope: tuple[str, ...]
    disabled: bool
    created_at: float
    email_verified: bool = False  # the user followed a link mailed to ``email``
