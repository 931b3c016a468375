"""Bringing users in from another system (``jotauth users import FILE.jsonl``, DESIGN §12).

One JSON object per line: ``{"email", "name"?, "roles"?, "password_hash"}``, the hash in one
of the formats of :mod:`jotauth.users.foreign_hashes`. Nothing is hashed at import: each hash
is checked for shape and cost and stored as it came (``imported$…``), and the user's next
successful login replaces it with argon2id.

Rules, so a run can be repeated and a hostile file does no harm:

- a row that cannot become an account is refused with its line number and why (bad JSON,
  an unknown field, a missing or unsupported hash, an absurd cost, a control character in the
  name); the other rows are imported;
- an address already in the store is **skipped**, never updated: that account may have a
  newer password or roles than the export, so a re-run changes nothing;
- an address on several lines of one file (after normalisation) is refused on every one of
  them: which of the rows is the real account is for the operator to decide.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import exc, insert, select

from jotauth.errors import JotauthError
from jotauth.store import AuditLog, Store
from jotauth.store.schema import users
from jotauth.users.email import normalise_email
from jotauth.users.errors import InvalidImportRow
from jotauth.users.foreign_hashes import parse_foreign_hash

# A real row is a few hundred bytes; a longer line is refused unread (and not held whole).
MAX_LINE_BYTES = 64 * 1024
# Rows written per transaction: few enough to keep a writer's lock short, many enough that
# 10,000 rows import well inside a minute (bench/user_import.py).
BATCH_ROWS = 500
_FIELDS = frozenset({"email", "name", "roles", "password_hash"})

Cleaner = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class ImportRow:
    """A line of the file that can become an account."""

    line: int
    email: str
    name: str
    roles: tuple[str, ...]
    password_hash: str  # the stored form, ``imported$…``
    scheme: str


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A line that was refused: its number, the error code and a one-line reason."""

    line: int
    code: str
    detail: str


@dataclass(slots=True)
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    dry_run: bool
    created: list[ImportRow] = field(default_factory=list)
    existing: list[ImportRow] = field(default_factory=list)  # skipped, left as they were
    problems: list[RowProblem] = field(default_factory=list)

    def schemes(self) -> dict[str, int]:
        """How many created rows (or rows to create) use each hash scheme."""
        counts: dict[str, int] = {}
        for row in self.created:
            counts[row.scheme] = counts.get(row.scheme, 0) + 1
        return dict(sorted(counts.items()))


def read_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, bytes)`` for each line; ``None`` for a line past :data:`MAX_LINE_BYTES`
    (skipped without holding it in memory)."""
    number = 0
    while True:
        chunk = stream.readline(MAX_LINE_BYTES + 1)
        if not chunk:
            return
        number += 1
        if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
            while chunk and not chunk.endswith(b"\n"):
                chunk = stream.readline(MAX_LINE_BYTES + 1)
            yield number, None
            continue
        yield number, chunk


def parse_rows(
    lines: Iterable[tuple[int, bytes | None]], *, clean_name: Cleaner, clean_roles: Cleaner
) -> tuple[list[ImportRow], list[RowProblem]]:
    """Every usable row and every refused line (duplicates within the file refused too).

    ``clean_name``/``clean_roles`` are :class:`UserService`'s own profile rules, so an
    imported account obeys exactly what ``users add`` does.
    """
    rows: list[ImportRow] = []
    problems: list[RowProblem] = []
    for number, data in lines:
        if data is None:
            problems.append(_problem(number, InvalidImportRow("the line is too long")))
            continue
        if not data.strip():
            continue  # blank lines (a trailing newline) are no rows
        try:
            rows.append(_parse_row(number, data, clean_name=clean_name, clean_roles=clean_roles))
        except JotauthError as error:
            problems.append(_problem(number, error))
    lines_of: dict[str, list[int]] = {}
    for row in rows:
        lines_of.setdefault(row.email, []).append(row.line)
    unique = []
    for row in rows:
        numbers = lines_of[row.email]
        if len(numbers) == 1:
            unique.append(row)
            continue
        others = ", ".join(str(n) for n in numbers if n != row.line)
        duplicate = InvalidImportRow(f"{row.email} is also on line {others}: none imported")
        problems.append(_problem(row.line, duplicate))
    problems.sort(key=lambda problem: problem.line)
    return unique, problems


def _parse_row(number: int, data: bytes, *, clean_name: Cleaner, clean_roles: Cleaner) -> ImportRow:
    try:
        document = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except UnicodeDecodeError as error:
        raise InvalidImportRow("the line is not UTF-8") from error
    except (ValueError, RecursionError) as error:
        raise InvalidImportRow(f"the line is not JSON ({_json_reason(error)})") from error
    if not isinstance(document, dict):
        raise InvalidImportRow("the line is not a JSON object")
    unknown = sorted(set(document) - _FIELDS)
    if unknown:
        names = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise InvalidImportRow(f"unknown field {names} (known: email, name, roles, password_hash)")
    for required in ("email", "password_hash"):
        if document.get(required) is None:
            raise InvalidImportRow(f"the {required} field is required")
    email = document["email"]
    if not isinstance(email, str):
        raise InvalidImportRow("email must be a string")
    roles = document.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise InvalidImportRow("roles must be an array of strings")
    name = document.get("name", "")
    if not isinstance(name, str):
        raise InvalidImportRow("name must be a string")
    foreign = parse_foreign_hash(document["password_hash"])
    return ImportRow(
        line=number,
        email=normalise_email(email),
        name=clean_name(name),
        roles=clean_roles(roles),
        password_hash=foreign.stored,
        scheme=foreign.scheme,
    )


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("a field appears twice")
    return document


def _json_reason(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at column {error.colno}"
    return str(error) if isinstance(error, ValueError) else "nested too deeply"


def _problem(number: int, error: JotauthError) -> RowProblem:
    return RowProblem(number, str(error.code), error.detail)


async def existing_emails(store: Store, emails: Sequence[str]) -> set[str]:
    """Which of ``emails`` already have an account (looked up in batches)."""
    found: set[str] = set()
    async with store.read() as conn:
        for start in range(0, len(emails), BATCH_ROWS):
            batch = emails[start : start + BATCH_ROWS]
            result = await conn.execute(select(users.c.email).where(users.c.email.in_(batch)))
            found.update(result.scalars())
    return found


async def insert_rows(
    store: Store, audit: AuditLog, rows: Sequence[ImportRow], *, now: float
) -> tuple[list[ImportRow], list[ImportRow]]:
    """Create accounts for ``rows``: ``(created, existing)``. A batch that meets an address
    created meanwhile (a concurrent ``users add``) is redone row by row, so that address is
    skipped and the rest still land."""
    created: list[ImportRow] = []
    existing: list[ImportRow] = []
    for start in range(0, len(rows), BATCH_ROWS):
        batch = rows[start : start + BATCH_ROWS]
        try:
            await _insert_batch(store, audit, batch, now=now)
            created.extend(batch)
        except exc.IntegrityError:
            for row in batch:
                try:
                    await _insert_batch(store, audit, [row], now=now)
                    created.append(row)
                except exc.IntegrityError:
                    existing.append(row)
    return created, existing


async def _insert_batch(
    store: Store, audit: AuditLog, batch: Sequence[ImportRow], *, now: float
) -> None:
    ids = [uuid.uuid4().hex for _ in batch]
    async with store.transaction() as conn:
        await conn.execute(
            insert(users),
            [
                {
                    "id": user_id,
                    "email": row.email,
                    "name": row.name,
                    "password_hash": row.password_hash,
                    "roles": list(row.roles),
                    "scope": [],
                    "disabled": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for user_id, row in zip(ids, batch, strict=True)
            ],
        )
        await audit.record_many_in(conn, "user_imported", user_ids=ids)
