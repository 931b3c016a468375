"""Which request paths the guard protects: prefixes with exclusions, failing closed.

``/api`` protects ``/api`` and ``/api/x`` but not ``/apix`` (segment boundaries). The path
compared is the one the ASGI server gives the router (already percent-decoded once), so the
guard sees exactly what the router will route on. On top of that, decisions fail closed for
paths that some other component (a proxy, a case-insensitive router) might read differently:

* protection is checked against the path as given *and* a canonical reading of it
  (case-folded, ``\\`` as ``/``, repeated slashes collapsed, ``.``/``..`` segments resolved,
  one more round of percent-decoding): if any reading falls under a protected prefix, the
  request is protected. ``/API/x``, ``//api/x``, ``/x/../api/x``, ``/%2561pi`` are all
  protected when ``/api`` is.
* exclusions apply only to paths already in canonical form and match case-sensitively, so
  ``//api/public`` or ``/api/public/../secret`` are never let through by an exclusion of
  ``/api/public``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from urllib.parse import unquote

# Anything that a lenient component could read as another path: repeated slashes, dot
# segments, backslashes, leftover percent-escapes, NUL.
_NON_CANONICAL = re.compile(r"//|/\.\.?(?:/|$)|\\|%|\x00|^[^/]|^$")


def _normalise_prefix(prefix: str) -> str:
    if not prefix.startswith("/"):
        raise ValueError(f"path prefixes start with '/': {prefix!r}")
    if _NON_CANONICAL.search(prefix):
        raise ValueError(f"path prefix is not canonical: {prefix!r}")
    return prefix.rstrip("/") or "/"


def _readings(path: str) -> set[str]:
    """The ways a lenient component might read ``path``, for fail-closed protection."""
    readings = {path}
    for candidate in (path, unquote(path)):
        folded = candidate.lower().replace("\\", "/").replace("\x00", "")
        collapsed = re.sub(r"/{2,}", "/", folded)
        readings.add(collapsed)
        resolved = posixpath.normpath("/" + collapsed.lstrip("/"))
        readings.add(resolved)
        if collapsed.endswith("/") and resolved != "/":
            readings.add(resolved + "/")
    return readings


def _is_canonical(path: str) -> bool:
    # Plain substring tests first (C speed): almost every real path passes all of them.
    if not path.startswith("/") or "//" in path or "\\" in path or "%" in path or "\x00" in path:
        return False
    return "/." not in path or _NON_CANONICAL.search(path) is None


class _Prefixes:
    """A set of prefixes matched on segment boundaries with two C-level operations."""

    __slots__ = ("_below", "_everything", "_exact")

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self._everything = "/" in prefixes
        self._exact = frozenset(prefixes)
        self._below = tuple(p + "/" for p in prefixes)

    def match(self, path: str) -> bool:
        return self._everything or path in self._exact or path.startswith(self._below)


class PathRules:
    """Protected path prefixes minus excluded ones (like ``expressJwt(...).unless(...)``)."""

    __slots__ = ("_exclude", "_protect")

    def __init__(self, protect: Iterable[str], exclude: Iterable[str] = ()) -> None:
        # Protection is matched case-folded (fail closed), exclusions exactly.
        self._protect = _Prefixes(tuple(_normalise_prefix(p).lower() for p in protect))
        self._exclude = _Prefixes(tuple(_normalise_prefix(p) for p in exclude))

    def protects(self, path: str) -> bool:
        """Whether a request for ``path`` must carry a valid access token."""
        if _is_canonical(path):
            # The common case. Case-insensitive on protection, exact on exclusion.
            return self._protect.match(path.lower()) and not self._exclude.match(path)
        # A non-canonical path: protected if any reading is; exclusions never apply.
        return any(self._protect.match(reading) for reading in _readings(path))
