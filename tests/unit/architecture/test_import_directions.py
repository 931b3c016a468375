"""The layering of docs/INTERNALS.md, checked: every import in ``src/jotauth`` (lazy ones inside
functions and ``TYPE_CHECKING`` blocks included) goes to a layer this table allows.

A new package must be added here with the layers it may use, so the map stays true.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "src" / "jotauth"

# Layer -> the jotauth layers it may import. Lower layers first; each set is built from the
# layers below it, so the table reads as the diagram in docs/INTERNALS.md.
# ``extras`` (which pip extra provides which import) imports nothing: every layer may use it.
_STORAGE = frozenset(
    {"errors", "extras", "settings", "jose", "keys", "verify", "store", "throttle"}
)
_ACCOUNTS = _STORAGE | {"users", "sessions", "factors", "mail"}
_COMPOSITION = _ACCOUNTS | {"accounts", "oauth", "federation", "passkeys", "revocations"}
ALLOWED: dict[str, frozenset[str]] = {
    "errors": frozenset(),
    "extras": frozenset(),
    "problems": frozenset({"errors"}),
    "settings": frozenset({"errors"}),
    "jose": frozenset({"errors"}),
    "keys": frozenset({"errors", "jose"}),
    "verify": frozenset({"errors", "jose"}),
    "http": frozenset({"errors", "problems"}),
    "csrf": frozenset({"errors", "http"}),
    "revocations": frozenset({"errors"}),
    "guard": frozenset(
        {"errors", "extras", "problems", "jose", "verify", "http", "csrf", "revocations"}
    ),
    "store": frozenset({"errors", "extras", "settings", "jose", "keys"}),
    "throttle": frozenset({"errors", "extras", "settings", "store"}),
    "users": frozenset({"errors", "settings", "store", "throttle"}),
    "sessions": frozenset({"errors", "settings", "store"}),
    # Second factors (TOTP, recovery codes, the MFA challenges): storage and checks only.
    "factors": frozenset({"errors", "settings", "store", "throttle"}),
    # Account mails: templates, the outbox's delivery, SMTP (the outbox table is the store's).
    "mail": frozenset({"errors", "settings", "store"}),
    "accounts": _ACCOUNTS,
    "oauth": _ACCOUNTS | {"accounts"},
    "federation": _ACCOUNTS | {"accounts"},
    # Passkeys (WebAuthn): use cases over their own tables, signing in through accounts.
    "passkeys": _ACCOUNTS | {"accounts"},
    "composition": _COMPOSITION,
    "server": _COMPOSITION | {"composition", "problems", "http", "csrf", "(root)"},
}
# The command line composes everything; nothing imports it.
EVERYTHING = frozenset(ALLOWED) | {"server"}
ALLOWED["cli"] = EVERYTHING
# The root package re-exports the user-facing names of the resource-server side only.
ALLOWED["(root)"] = frozenset({"errors", "jose", "verify", "guard"})

WEB_FRAMEWORKS = ("starlette", "fastapi", "flask", "uvicorn", "jinja2")
# Layers that know nothing of HTTP frameworks (the guard and the server adapt them). The mail
# layer renders its templates with Jinja2 (a template engine there, no web framework); it is
# checked to import nothing else of the list below.
FRAMEWORK_FREE = tuple(
    sorted((_COMPOSITION | {"composition", "problems", "http", "csrf"}) - {"mail"})
)
# Only the storage side talks SQL.
SQL_FREE = tuple(sorted(ALLOWED["guard"] | {"guard", "keys", "accounts", "mail"}))


def _modules() -> Iterator[tuple[str, str, Path]]:
    """(layer, dotted module name, path) of every module of the package."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "migrations" in parts:
            continue  # Alembic scripts, loaded by Alembic only
        layer = "(root)" if len(parts) == 2 and parts[1] == "__init__" else parts[1]
        yield layer, ".".join(parts), path


def _imports(module: str, path: Path) -> Iterator[str]:
    """Every absolute module name ``path`` imports, relative imports resolved."""
    package = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            if name == "jotauth":
                # ``from jotauth import jose`` imports the sub-package, ``__version__`` the root.
                for alias in node.names:
                    is_module = (PACKAGE / alias.name).is_dir() or (
                        PACKAGE / f"{alias.name}.py"
                    ).is_file()
                    yield f"jotauth.{alias.name}" if is_module else "jotauth"
            else:
                yield name


def _target_layer(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != "jotauth":
        return None
    return parts[1] if len(parts) > 1 else "(root)"


MODULES = list(_modules())


def test_every_layer_is_on_the_map() -> None:
    unknown = sorted({layer for layer, _, _ in MODULES} - set(ALLOWED))
    assert not unknown, f"add these packages to ALLOWED (and docs/INTERNALS.md): {unknown}"


@pytest.mark.parametrize(("layer", "module", "path"), MODULES, ids=[m for _, m, _ in MODULES])
def test_imports_only_go_to_allowed_layers(layer: str, module: str, path: Path) -> None:
    allowed = ALLOWED.get(layer, frozenset())
    wrong = sorted(
        name
        for name in _imports(module, path)
        if (target := _target_layer(name)) is not None and target != layer and target not in allowed
    )
    assert not wrong, f"{module} ({layer}) may not import {wrong}"


@pytest.mark.parametrize(
    ("layer", "module", "path"),
    [m for m in MODULES if m[0] in FRAMEWORK_FREE],
    ids=[m[1] for m in MODULES if m[0] in FRAMEWORK_FREE],
)
def test_the_inner_layers_import_no_web_framework(layer: str, module: str, path: Path) -> None:
    frameworks = sorted(
        name for name in _imports(module, path) if name.split(".")[0] in WEB_FRAMEWORKS
    )
    assert not frameworks, f"{module} ({layer}) imports {frameworks}"


@pytest.mark.parametrize(
    ("layer", "module", "path"),
    [m for m in MODULES if m[0] in SQL_FREE],
    ids=[m[1] for m in MODULES if m[0] in SQL_FREE],
)
def test_only_the_storage_side_imports_sqlalchemy(layer: str, module: str, path: Path) -> None:
    sql = sorted(name for name in _imports(module, path) if name.split(".")[0] == "sqlalchemy")
    assert not sql, f"{module} ({layer}) imports {sql}"


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The checker itself: a module of ``users`` importing ``sessions`` is caught."""
    fake = tmp_path / "jotauth" / "users" / "bad.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("from jotauth.sessions import SessionService\nfrom ..accounts import x\n")
    names = list(_imports("jotauth.users.bad", fake))
    assert names == ["jotauth.sessions", "jotauth.accounts"]
    assert {_target_layer(n) for n in names} - ALLOWED["users"] == {"sessions", "accounts"}


@pytest.mark.parametrize(
    ("layer", "module", "path"),
    [m for m in MODULES if m[0] == "mail"],
    ids=[m[1] for m in MODULES if m[0] == "mail"],
)
def test_the_mail_layer_uses_jinja2_and_no_web_framework(
    layer: str, module: str, path: Path
) -> None:
    frameworks = sorted(
        name
        for name in _imports(module, path)
        if name.split(".")[0] in WEB_FRAMEWORKS and name.split(".")[0] != "jinja2"
    )
    assert not frameworks, f"{module} ({layer}) imports {frameworks}"
