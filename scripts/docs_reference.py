"""Writes the docs site's reference pages from the code (run by mkdocs-gen-files).

Every setting of ``jotauth.settings.Settings`` (its ``JOTAUTH_`` variable, type, default
and the comment beside it in the source), every ``ErrorCode`` with its HTTP status and
title from ``jotauth.problems``, and the help of every ``jotauth`` command.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import click
import mkdocs_gen_files

from jotauth import settings as settings_module
from jotauth.cli import main as cli_main
from jotauth.errors import ErrorCode
from jotauth.problems import PROBLEM_SPECS, Challenge
from jotauth.settings import Settings


def _field_comments() -> dict[str, tuple[str, str]]:
    """Each field's section and note, from settings.py: the comment beside the field or the
    comment lines right above it (the why, kept where it is written)."""
    notes: dict[str, tuple[str, str]] = {}
    section, last = "", ""
    pending: list[str] = []
    for line in inspect.getsource(settings_module).splitlines():
        closing = re.match(r"^    \][^#]*#\s*(.+)$", line)  # `] = ()  # note` of a long field
        if closing and last and not notes[last][1]:
            notes[last] = (section, closing.group(1).strip())
            continue
        header = re.match(r"^    # --- (.+?) -+$", line)
        comment = re.match(r"^    # (.+)$", line)
        field = re.match(r"^    ([a-z0-9_]+): [^#]*?(?:#\s*(.+))?$", line)
        if header:
            section, pending = header.group(1), []
        elif comment:
            pending.append(comment.group(1).strip())
        elif field:
            trailing = field.group(2) if field.group(2) and "noqa" not in field.group(2) else ""
            notes[field.group(1)] = (section, trailing or " ".join(pending))
            pending, last = [], field.group(1)
        elif not line.strip().startswith(("]", ")", "tuple[", "Annotated[")):
            pending = []
    return notes


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if hasattr(value, "get_secret_value"):
        return "(secret)"
    return f"`{value!r}`" if not isinstance(value, str) else f'`"{value}"`'


def settings_page() -> str:
    """Every setting, its environment variable and default."""
    comments = _field_comments()
    rows = [
        "# Settings",
        "",
        "Settings come from keyword arguments, `JOTAUTH_*` environment variables or a TOML",
        "file (`./jotauth.toml`, or the file `JOTAUTH_CONFIG` names). Lists and tuples are",
        "given as JSON in variables: `JOTAUTH_AUDIENCE='[\"lessons\"]'`.",
        "",
        "| setting | variable | type | default | what it is |",
        "|---|---|---|---|---|",
    ]
    undocumented = []
    last_section = None
    for name, field in Settings.model_fields.items():
        annotation = getattr(field.annotation, "__name__", None) or str(field.annotation)
        annotation = annotation.replace("typing.", "").replace("pydantic.types.", "")
        section, note = comments.get(name, ("", ""))
        note = field.description or note
        if not note:
            undocumented.append(name)
        if section and section != last_section:
            rows.append(f"| **{_cell(section)}** | | | | |")
            last_section = section
        rows.append(
            f"| `{name}` | `JOTAUTH_{name.upper()}` | `{_cell(annotation)}` | "
            f"{_cell(_default(field))} | {_cell(note)} |"
        )
    if undocumented:
        # The build fails rather than publish a setting nobody explained.
        raise SystemExit(f"settings without a comment in settings.py: {undocumented}")
    return "\n".join(rows) + "\n"


def errors_page() -> str:
    """Every error code a client can meet, with its status and title."""
    rows = [
        "# Error codes",
        "",
        "Every error is `application/problem+json` (RFC 9457) with a stable `code`; the",
        "OAuth endpoints answer in the RFC 6749 §5.2 format instead, and the hosted pages",
        "with a readable HTML page. This is the closed set `jotauth.errors.ErrorCode`.",
        "",
        "A 401 carries an RFC 6750 `WWW-Authenticate: Bearer` challenge (the *challenge*",
        "column); a 503's detail is always the fixed public one shown here.",
        "",
        "| code | status | title | challenge | public detail |",
        "|---|---|---|---|---|",
    ]
    for code in ErrorCode:
        spec = PROBLEM_SPECS.get(code)
        if spec is None:
            rows.append(f"| `{code.value}` | — | (not sent over HTTP) | | |")
            continue
        challenge = "" if spec.challenge is Challenge.NONE else f"`{spec.challenge.value}`"
        rows.append(
            f"| `{code.value}` | {spec.status} | {_cell(spec.title)} | {challenge} | "
            f"{_cell(spec.public_detail or '')} |"
        )
    return "\n".join(rows) + "\n"


def _command_help(command: click.Command, path: list[str], out: list[str]) -> None:
    context = click.Context(command, info_name=" ".join(path))
    out += [f"## `{' '.join(path)}`", "", "```text", command.get_help(context), "```", ""]
    if isinstance(command, click.Group):
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            if sub is not None and not sub.hidden:
                _command_help(sub, [*path, name], out)


def cli_page() -> str:
    """The help text of every command, as ``jotauth … --help`` prints it."""
    out = ["# Command line", ""]
    _command_help(cli_main, ["jotauth"], out)
    return "\n".join(out)


for path, page in (
    ("reference/settings.md", settings_page),
    ("reference/errors.md", errors_page),
    ("reference/cli.md", cli_page),
):
    with mkdocs_gen_files.open(path, "w") as out:
        out.write(page())
