"""Outcome counters the use cases report to (metrics live in the HTTP layer's process)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _ignore(outcome: str) -> None:
    """Count nothing (the default, for the CLI and tests)."""


@dataclass(frozen=True, slots=True)
class SignInCounters:
    """Called with an outcome label (``success``, ``throttled``, an error code, …)."""

    login: Callable[[str], None] = _ignore
    refresh: Callable[[str], None] = _ignore
