"""``keys`` decides, the store persists: no module of ``jotauth.keys`` imports the store or the
server (the repository interface lives in ``keys``, the store implements it)."""

from __future__ import annotations

import ast
from pathlib import Path

import jotauth.keys

KEYS = Path(jotauth.keys.__file__).parent
FORBIDDEN = ("jotauth.store", "jotauth.server", "jotauth.cli", "jotauth.composition", "sqlalchemy")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_keys_imports_neither_the_store_nor_the_server() -> None:
    offenders = sorted(
        f"{path.name}: {name}"
        for path in KEYS.glob("*.py")
        for name in _imports(path)
        if name.startswith(FORBIDDEN)
    )
    assert offenders == []
