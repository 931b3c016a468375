"""Clocks the code under test reads instead of the real time, so expiry needs no sleeping."""

from __future__ import annotations

import time


class SettableClock:
    """A clock that stands still until the test moves it (cache lifetimes, windows, expiry)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward; nothing else happens until the code reads it again."""
        self.now += seconds


class OffsetClock:
    """Wall-clock time plus an offset the test can advance.

    For code that also meets real time (tokens checked by a verifier on the wall clock,
    database timestamps), where a clock standing still would disagree with it.
    """

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Jump ahead by ``seconds`` from now on."""
        self.offset += seconds
