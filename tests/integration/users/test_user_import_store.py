"""``UserService.import_users`` on SQLite and PostgreSQL: imported accounts sign in through
``authenticate`` and leave argon2id behind; a batch that meets an address created meanwhile
still lands, that address skipped."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from jotauth.settings import Settings
from jotauth.store import AuditLog, Store
from jotauth.store.schema import users as users_table
from jotauth.throttle import InMemoryLoginThrottle
from jotauth.users import PasswordHasher, UserService, importing
from tests.support.foreign_hashes import PRODUCERS

PASSWORD = "imported passphrase"


@pytest.fixture
async def service(store: Store, store_settings: Settings) -> AsyncIterator[UserService]:
    hasher = PasswordHasher(store_settings)
    yield UserService(
        store,
        hasher,
        throttle=InMemoryLoginThrottle(store_settings),
        audit=AuditLog(store),
        min_password_length=store_settings.password_min_length,
    )
    hasher.close()


def _lines(*rows: dict[str, object]) -> list[tuple[int, bytes | None]]:
    return [(number, json.dumps(row).encode()) for number, row in enumerate(rows, 1)]


async def _stored_hash(store: Store, email: str) -> str:
    async with store.read() as conn:
        query = select(users_table.c.password_hash).where(users_table.c.email == email)
        return str((await conn.execute(query)).scalar_one())


async def test_imported_accounts_sign_in_and_are_rehashed_to_argon2id(
    store: Store, service: UserService
) -> None:
    hashes = {name: PRODUCERS[name](PASSWORD) for name in ("django-scrypt", "pyca-bcrypt-2y")}
    lines = _lines(
        *({"email": f"{name}@example.org", "password_hash": h} for name, h in hashes.items())
    )
    report = await service.import_users(lines)
    assert [row.email for row in report.created] == [f"{name}@example.org" for name in hashes]
    for name, encoded in hashes.items():
        email = f"{name}@example.org"
        assert await _stored_hash(store, email) == "imported$" + encoded
        assert await service.authenticate(email, PASSWORD + "?") is None
        assert await _stored_hash(store, email) == "imported$" + encoded
        user = await service.authenticate(email, PASSWORD)
        assert user is not None and user.email == email
        assert (await _stored_hash(store, email)).startswith("$argon2id$")
        assert await service.authenticate(email, PASSWORD) is not None


async def test_a_dry_run_writes_nothing(store: Store, service: UserService) -> None:
    lines = _lines({"email": "ada@example.org", "password_hash": PRODUCERS["passlib-bcrypt"]("x")})
    report = await service.import_users(lines, dry_run=True)
    assert [row.email for row in report.created] == ["ada@example.org"]
    assert await service.get_user_by_email("ada@example.org") is None


async def test_an_address_created_during_the_import_is_skipped_and_the_batch_lands(
    store: Store, service: UserService
) -> None:
    bcrypt_hash = PRODUCERS["pyca-bcrypt-2b"](PASSWORD)
    rows, problems = importing.parse_rows(
        _lines(*({"email": f"u{n}@example.org", "password_hash": bcrypt_hash} for n in range(5))),
        clean_name=str,
        clean_roles=tuple,
    )
    assert problems == []
    # Another admin adds u2 between the import's existence check and its insert.
    await service.create_user("u2@example.org", "a password of their own")
    created, existing = await importing.insert_rows(store, AuditLog(store), rows, now=1.0)
    assert [row.email for row in existing] == ["u2@example.org"]
    assert sorted(row.email for row in created) == [f"u{n}@example.org" for n in (0, 1, 3, 4)]
    assert not (await _stored_hash(store, "u2@example.org")).startswith("imported$")
