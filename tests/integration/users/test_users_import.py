"""``jotauth users import FILE.jsonl`` against a real SQLite file, through the main CLI:
dry runs, refused lines with their numbers, idempotent re-runs, hostile rows."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import bcrypt
import pytest
from click.testing import CliRunner

from jotauth.cli import main
from jotauth.settings import Settings
from jotauth.store import AuditLog, open_store

BCRYPT = bcrypt.hashpw(b"old password", bcrypt.gensalt(4)).decode()
PBKDF2 = "pbkdf2_sha256$29000$mzRJ2nISqhCf$2m4KOXC/TH3hM7Q5HQqSPhbkBi20BT1YtccKIhaaTsU="


@pytest.fixture
def env(cli_database: Path) -> Path:
    return cli_database


def _file(tmp_path: Path, *lines: str | dict[str, Any]) -> Path:
    path = tmp_path / "users.jsonl"
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    path.write_bytes(text.encode("utf-8"))
    return path


def _import(path: Path, *options: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["users", "import", *options, str(path)])
    return result.exit_code, result.stdout, result.stderr


def _users(database: Path) -> dict[str, tuple[str, str, list[str]]]:
    if not database.exists():
        return {}
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT email, name, password_hash, roles FROM users").fetchall()
    return {email: (name, hashed, json.loads(roles)) for email, name, hashed, roles in rows}


def test_import_creates_users_with_their_foreign_hashes_kept_for_the_next_login(
    env: Path, tmp_path: Path
) -> None:
    path = _file(
        tmp_path,
        {"email": "Ada@Example.ORG", "name": "Ada", "roles": ["admin"], "password_hash": BCRYPT},
        {"email": "bob@example.org", "password_hash": PBKDF2},
    )
    code, out, err = _import(path)
    assert (code, err) == (0, "")
    assert out.strip() == (
        "imported 2 users (bcrypt 1, pbkdf2_sha256 1); skipped 0 already registered; "
        "refused 0 lines"
    )
    assert _users(env) == {
        "ada@example.org": ("Ada", "imported$" + BCRYPT, ["admin"]),
        "bob@example.org": ("", "imported$" + PBKDF2, []),
    }
    store = asyncio.run(_audited(env))
    assert store == 2


async def _audited(database: Path) -> int:
    store = await open_store(Settings(database_url=f"sqlite+aiosqlite:///{database}"))
    try:
        events = await AuditLog(store).list_events(event="user_imported")
        return len(events)
    finally:
        await store.close()


def test_dry_run_reports_what_it_would_do_and_writes_nothing(env: Path, tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        {"email": "ada@example.org", "password_hash": BCRYPT},
        {"email": "bob@example.org", "password_hash": "md5$salt$hash"},
    )
    code, out, err = _import(path, "--dry-run")
    assert code == 1
    assert err == "line 2: unsupported_password_hash: unsupported hash scheme 'md5'\n"
    assert out.strip().endswith("dry run: nothing was written")
    assert "would import 1 user (bcrypt 1)" in out
    assert "ada@example.org" not in _users(env)


def test_a_rerun_skips_every_address_already_registered_and_changes_nothing(
    env: Path, tmp_path: Path
) -> None:
    added = CliRunner().invoke(
        main,
        ["users", "add", "carol@example.org", "--password-stdin"],
        input="a brand new passphrase\n",
    )
    assert added.exit_code == 0, added.output
    carol_before = _users(env)["carol@example.org"]
    path = _file(
        tmp_path,
        {"email": "ada@example.org", "password_hash": BCRYPT},
        {
            "email": "CAROL@example.org",
            "name": "Carol",
            "roles": ["admin"],
            "password_hash": BCRYPT,
        },
    )
    assert _import(path)[0] == 0
    first = _users(env)
    assert first["carol@example.org"] == carol_before  # existing accounts are never updated

    code, out, _ = _import(path)
    assert code == 0
    assert "imported 0 users; skipped 2 already registered; refused 0 lines" in out
    assert _users(env) == first


@pytest.mark.parametrize(
    ("line", "code", "detail"),
    [
        ("{not json", "invalid_import_row", "the line is not JSON"),
        ('["a", "list"]', "invalid_import_row", "not a JSON object"),
        ('{"email": "x@example.org"}', "invalid_import_row", "password_hash field is required"),
        ('{"password_hash": "' + BCRYPT + '"}', "invalid_import_row", "email field is required"),
        (
            '{"email": "x@example.org", "email": "y@example.org", "password_hash": "'
            + BCRYPT + '"}',
            "invalid_import_row", "a field appears twice",
        ),
        (
            json.dumps({"email": "x@example.org", "password_hash": BCRYPT, "is_admin": True}),
            "invalid_import_row", "unknown field 'is_admin'",
        ),
        (
            json.dumps({"email": "x@example.org", "password_hash": BCRYPT, "roles": "admin"}),
            "invalid_import_row", "roles must be an array of strings",
        ),
        (
            json.dumps({"email": "x@example.org", "password_hash": BCRYPT, "roles": ["a b"]}),
            "invalid_profile", "invalid role",
        ),
        (
            json.dumps(
                {"email": "x@example.org", "name": "Eve\r\nBcc: all", "password_hash": BCRYPT}
            ),
            "invalid_profile", "control characters",
        ),
        (
            json.dumps({"email": "x@example.org\r\nBcc: all@example.org", "password_hash": BCRYPT}),
            "invalid_email", "",
        ),
        (
            json.dumps({"email": "x@example.org", "password_hash": "$2b$31$" + "N" * 53}),
            "invalid_password_hash", "bcrypt cost 31 is outside 4..14",
        ),
        (
            json.dumps({"email": "x@example.org",
                        "password_hash": "pbkdf2_sha256$999999999$salt$" + "A" * 44}),
            "invalid_password_hash", "iterations",
        ),
        (
            json.dumps({"email": "x@example.org", "password_hash": "sha1$salt$abc"}),
            "unsupported_password_hash", "'sha1'",
        ),
        ("\xff\xfe not utf-8", "invalid_import_row", ""),
        ("[" * 100_000, "invalid_import_row", "too long"),
    ],
)  # fmt: skip
def test_a_hostile_line_is_refused_with_its_number_and_the_others_are_imported(
    env: Path, tmp_path: Path, line: str, code: str, detail: str
) -> None:
    path = tmp_path / "users.jsonl"
    good = json.dumps({"email": "ada@example.org", "password_hash": BCRYPT})
    data = good.encode() + b"\n" + line.encode("utf-8", "surrogateescape") + b"\n"
    if line.startswith("\xff"):
        data = good.encode() + b"\n\xff\xfe not utf-8\n"
    path.write_bytes(
        data + b'{"email": "zed@example.org", "password_hash": "' + BCRYPT.encode() + b'"}\n'
    )
    exit_code, out, err = _import(path)
    assert exit_code == 1
    assert err.startswith(f"line 2: {code}: ") and detail in err, err
    assert err.count("\n") == 1 and "\r" not in err  # one line, nothing echoed raw
    assert "imported 2 users" in out
    assert sorted(_users(env)) == ["ada@example.org", "zed@example.org"]


def test_an_address_on_several_lines_is_refused_on_all_of_them(env: Path, tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        {"email": "dup@example.org", "password_hash": BCRYPT},
        {"email": "ada@example.org", "password_hash": BCRYPT},
        {"email": "DUP@Example.org", "password_hash": PBKDF2},
    )
    code, _, err = _import(path)
    assert code == 1
    assert err.splitlines() == [
        "line 1: invalid_import_row: dup@example.org is also on line 3: none imported",
        "line 3: invalid_import_row: dup@example.org is also on line 1: none imported",
    ]
    assert sorted(_users(env)) == ["ada@example.org"]


def test_blank_lines_and_crlf_line_endings_are_accepted(env: Path, tmp_path: Path) -> None:
    path = tmp_path / "users.jsonl"
    row = json.dumps({"email": "ada@example.org", "password_hash": BCRYPT})
    path.write_bytes(b"\r\n" + row.encode() + b"\r\n\r\n")
    code, _, err = _import(path)
    assert (code, err) == (0, "")
    assert sorted(_users(env)) == ["ada@example.org"]


def test_a_missing_file_is_a_one_line_error(env: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["users", "import", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2 and "does not exist" in result.output
    assert "Traceback" not in result.output
