"""The prepared statements of SQLite units of work, run on the ``sqlite3`` connection by
``store/unit_statements.py``, against SQLAlchemy running the same statements: the same rows
(JSON, Boolean, Double, bytes and NULL decoded alike), the same row counts, the same writes.
SQLAlchemy is the independent implementation here: its execution path is what ours skips."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import pytest
from sqlalchemy import Connection, exc, select, text
from sqlalchemy.sql.base import Executable

import jotauth
from jotauth.factors.methods import EnrolledFactors, RecoveryCodeMethod, TotpMethod
from jotauth.federation.identities import LinkedIdentities
from jotauth.passkeys import PasskeySecondFactor
from jotauth.sessions.statements import (
    OWNER_FOUND,
    OWNER_ID,
    OWNER_PREFIX,
    owner_of,
    session_with_owner,
)
from jotauth.settings import Settings
from jotauth.store import AuditLog, Store, open_store
from jotauth.store.schema import (
    audit_events,
    federated_identities,
    recovery_codes,
    refresh_tokens,
    sessions,
    throttled_attempts,
    totp_factors,
    users,
)
from jotauth.store.unit_statements import PREPARED, UnitConnection, UnitStatements, prepared
from jotauth.users.by_id import AccountById

NOW = 1_800_000_000.5
SID, UID, TOKEN = "s" * 32, "u" * 32, "a" * 64


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await open_store(Settings(database_url=database_url))
    async with opened.transaction() as conn:
        await conn.execute(
            users.insert().values(
                id=UID, email="ada@example.org", name="Ada ☃", password_hash="x",
                roles=["admin", "ops"], scope=[], disabled=False, created_at=NOW,
                updated_at=NOW, email_verified=True,
            )
        )  # fmt: skip
        await conn.execute(
            sessions.insert().values(
                id=SID, user_id=UID, created_at=NOW, last_used_at=NOW, idle_expires_at=NOW + 60,
                expires_at=NOW + 600, user_agent="agent", ip="::1", revoked_at=None,
                refresh_delivery="cookie", amr=["pwd", "otp", "mfa"], auth_time=NOW,
            )
        )  # fmt: skip
        await conn.execute(
            refresh_tokens.insert(),
            [
                {"token_hash": TOKEN, "session_id": SID, "state": "rotated", "created_at": NOW,
                 "rotated_at": NOW + 1, "successor_hash": "b" * 64,
                 "successor_nonce": b"\x00\x01", "successor_sealed": b"\xff" * 40},
                {"token_hash": "b" * 64, "session_id": SID, "state": "rotated",
                 "created_at": NOW + 1, "rotated_at": NOW + 2, "successor_hash": "f" * 64,
                 "successor_nonce": b"\x03", "successor_sealed": b"\xfe" * 40},
                {"token_hash": "f" * 64, "session_id": SID, "state": "active",
                 "created_at": NOW + 2, "rotated_at": None, "successor_hash": None,
                 "successor_nonce": None, "successor_sealed": None},
            ],
        )  # fmt: skip
        await conn.execute(
            federated_identities.insert(),
            [
                {"id": f"i{n}", "issuer": "https://idp.example", "subject": f"sub{n}",
                 "user_id": UID, "provider": "idp", "email": None if n else "a@idp.example",
                 "created_at": NOW + n, "last_used_at": NOW + n}
                for n in range(2)
            ],
        )  # fmt: skip
        await conn.execute(
            totp_factors.insert().values(
                user_id=UID, secret_nonce=b"n", secret_sealed=b"s", created_at=NOW,
                confirmed_at=NOW,
            )
        )  # fmt: skip
        await conn.execute(
            recovery_codes.insert().values(code_hash="c" * 64, user_id=UID, created_at=NOW)
        )
        await conn.execute(
            audit_events.insert(),
            [
                {"event": "login", "at": NOW + age, "user_id": UID, "session_id": SID,
                 "ip": "::1", "detail": {"amr": ["pwd"]}}
                for age in (-100.0, 0.0, 100.0)
            ],
        )  # fmt: skip
        await conn.execute(
            throttled_attempts.insert(),
            [
                {"event": "login_failed", "window_start": NOW + hours * 3600, "ip": "::1",
                 "user_id": UID, "count": 3, "last_at": NOW + hours * 3600 + 5}
                for hours in (-2, -1, 0)
            ],
        )  # fmt: skip
    yield opened
    await opened.close()


def _prepared_constants() -> dict[str, Executable]:
    """Every module-level statement of the package marked :func:`prepared`, by the name it is
    defined under (a module importing it names it too: the case's name wins)."""
    found: dict[int, tuple[list[str], Executable]] = {}
    for info in pkgutil.walk_packages(jotauth.__path__, "jotauth."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, Executable) and value.get_execution_options().get(PREPARED):
                found.setdefault(id(value), ([], value))[0].append(f"{info.name}.{name}")
    named: dict[str, Executable] = {}
    for names, statement in found.values():
        defined = [name for name in names if name in CASES] or names
        named[defined[0]] = statement
    return named


_ROTATION_PG = {
    "hash": "f" * 64,
    "now": NOW + 2,
    "b_successor": "d" * 64,
    "nonce": b"\x01",
    "sealed": b"\x02" * 33,
    "b_token": "d" * 64,
    "b_idle": NOW + 62,
    "cutoff": NOW + 10,
    "presented_in": "cookie",
    "audit_event": "refresh",
    "audit_at": NOW + 2,
    "audit_user_id": None,  # the locked session's, in the statement
    "audit_session_id": None,
    "audit_ip": None,
    "audit_detail": None,
}
# Each prepared statement with parameters that make it do something, and the backends that
# run it.
BOTH, POSTGRES = ("sqlite", "postgresql"), ("postgresql",)
CASES: dict[str, dict[str, Any]] = {
    "jotauth.sessions.statements.TOKEN_BY_HASH": {"hash": TOKEN},
    "jotauth.sessions.statements.LOCK_SESSION_OF_TOKEN": {"hash": "b" * 64},
    "jotauth.sessions.statements.SESSION_BY_ID": {"b_sid": SID},
    "jotauth.sessions.statements.ROTATE": {
        "hash": "f" * 64,
        "now": NOW + 2,
        "b_successor": "d" * 64,
        "nonce": b"\x01",
        "sealed": b"\x02" * 33,
    },
    "jotauth.sessions.statements.INSERT_TOKEN": {"b_token": "e" * 64, "b_sid": SID, "now": NOW},
    "jotauth.sessions.statements.TOUCH": {"b_sid": SID, "now": NOW + 3, "b_idle": NOW + 90.25},
    "jotauth.sessions.statements.FORGET_SUCCESSORS": {"b_sid": SID, "cutoff": NOW + 10},
    "jotauth.store.audit._INSERT_EVENT": {
        "audit_event": "refresh",
        "audit_at": NOW,
        "audit_user_id": UID,
        "audit_session_id": None,
        "audit_ip": "::1",
        "audit_detail": {"amr": ["pwd"], "n": 1.5, "ok": True},
    },
    "jotauth.users.by_id.USER_BY_ID": {"user_id": UID},
    "jotauth.users.by_id.USER_BY_EMAIL": {"email": "ada@example.org"},
    "jotauth.sessions.statements.INSERT_SESSION": {
        "b_id": "n" * 32,
        "b_user_id": UID,
        "b_created_at": NOW,
        "b_last_used_at": NOW,
        "b_idle_expires_at": NOW + 60.5,
        "b_expires_at": NOW + 3600,
        "b_user_agent": "Mozilla/5.0 ☃",
        "b_ip": "::1",
        "b_revoked_at": None,
        "b_revoked_reason": None,
        "b_refresh_delivery": "body",
        "b_amr": ("pwd", "otp"),  # as SessionInfo holds it
        "b_auth_time": None,
    },
    "jotauth.federation.identities._OF_USER": {"user_id": UID},
    "jotauth.sessions.statements.ROTATION_PG": _ROTATION_PG,
    # The purges: a batch that reaches past what is due (the session and its tokens, two of
    # three events, two of three hourly counts), and one that stops short of it.
    "jotauth.sessions.statements.DELETE_EXPIRED_SESSIONS": {"now": NOW + 600, "batch": 10},
    "jotauth.store.audit._PURGE_EVENTS": {"cutoff": NOW + 1, "batch": 10},
    "jotauth.store.audit._PURGE_THROTTLED_COUNTS": {"cutoff": NOW - 1, "batch": 1},
}
ONLY_ON = {"jotauth.sessions.statements.ROTATION_PG": POSTGRES}


def _snapshot(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    tables = (users, sessions, refresh_tokens, federated_identities, throttled_attempts)
    snapshot = {
        table.name: [
            tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))
        ]
        for table in tables
    }
    # Without the serial id: a PostgreSQL sequence does not roll back with its transaction.
    events = [column for column in audit_events.c if column.key != "id"]
    snapshot["audit_events"] = [
        tuple(row) for row in conn.execute(select(*events).order_by(audit_events.c.at))
    ]
    return snapshot


def _run_on(conn: Connection, statement: Executable, params: Any, ours: bool) -> tuple[Any, ...]:
    runner: Any = UnitConnection(conn, UnitStatements(conn.dialect)) if ours else conn
    result = runner.execute(statement, params)
    if statement.is_select:
        return -1, [dict(row) for row in result.mappings()], _snapshot(conn)
    return result.rowcount, None, _snapshot(conn)


async def _run(store: Store, statement: Executable, params: Any, *, ours: bool) -> Any:
    """What one execution returns and leaves behind, rolled back afterwards: on the SQLite
    units' plain engine, or in ``run_sync`` on PostgreSQL, as units run."""
    return await _in_unit_connection(store, lambda conn: _run_on(conn, statement, params, ours))


async def _in_unit_connection(store: Store, work: Callable[[Connection], Any]) -> Any:
    engine = store._units
    if engine is not None:
        with engine.connect() as conn:
            transaction = conn.begin()
            try:
                return work(conn)
            finally:
                transaction.rollback()
    async with store.engine.connect() as async_conn:
        transaction = await async_conn.begin()
        try:
            return await async_conn.run_sync(work)
        finally:
            await transaction.rollback()


def test_every_prepared_statement_has_a_case() -> None:
    found = _prepared_constants()
    assert set(found) == set(CASES), "add the new prepared statement to CASES"


@pytest.mark.parametrize("name", sorted(CASES))
async def test_a_prepared_statement_runs_as_sqlalchemy_runs_it(store: Store, name: str) -> None:
    if store.dialect not in ONLY_ON.get(name, BOTH):
        pytest.skip(f"only {ONLY_ON[name]} runs it")
    statement = _prepared_constants()[name]
    params = CASES[name]
    theirs = await _run(store, statement, params, ours=False)
    ours = await _run(store, statement, params, ours=True)
    assert ours == theirs
    rowcount, rows, after = theirs
    before = (await _run(store, select(text("1")), {}, ours=False))[2]
    # The case did something: it matched rows or changed the database.
    assert rows or rowcount > 0 or after != before


async def test_the_enrolled_factors_statement_runs_as_sqlalchemy_runs_it(store: Store) -> None:
    class Named:
        def __init__(self, method: Any) -> None:
            self.name, self.enrolled_clause = method.name, method.enrolled_clause

    reader = EnrolledFactors(
        Named(method) for method in (TotpMethod, RecoveryCodeMethod, PasskeySecondFactor)
    )
    statement = reader._statement
    assert statement is not None
    for user in (UID, "nobody"):
        params = {"enrolled_user": user}
        assert await _run(store, statement, params, ours=True) == await _run(
            store, statement, params, ours=False
        )

    def enrolled(conn: Connection) -> Any:
        return reader(cast(Connection, UnitConnection(conn, UnitStatements(conn.dialect))), UID)

    assert await _in_unit_connection(store, enrolled) == {"totp", "recovery_code"}


async def test_a_statement_sqlalchemy_must_complete_is_left_to_it(store: Store) -> None:
    # A statement with an expanding IN cannot be compiled once: SQLAlchemy runs it.
    expanding = prepared(select(users.c.id).where(users.c.id.in_([UID, "x"])))

    def run(conn: Connection) -> Any:
        statements = UnitStatements(conn.dialect)
        assert statements.plan(expanding) is None
        # A statement not marked prepared is SQLAlchemy's too.
        assert statements.plan(select(users.c.id)) is None
        return UnitConnection(conn, statements).execute(expanding).scalars().all()

    assert await _in_unit_connection(store, run) == [UID]


async def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(store: Store) -> None:
    insert_again = prepared(
        refresh_tokens.insert().values(
            token_hash=TOKEN, session_id=SID, state="active", created_at=NOW
        )
    )

    def run(conn: Connection) -> Any:
        return UnitConnection(conn, UnitStatements(conn.dialect)).execute(insert_again)

    def run_through_sqlalchemy(conn: Connection) -> Any:
        return conn.execute(insert_again)

    for runner in (run, run_through_sqlalchemy):
        with pytest.raises(exc.IntegrityError) as raised:
            await _in_unit_connection(store, runner)
        # The parameters (here a token digest; elsewhere password hashes) stay out of the
        # message an unhandled error's log line would carry.
        assert TOKEN not in str(raised.value)


@pytest.mark.parametrize("user_id", [UID, "u-nobody"])
async def test_a_session_read_with_its_owner_runs_as_sqlalchemy_runs_it(
    store: Store, user_id: str
) -> None:
    # Built per owner reader (SessionService.session_and_owner_in), so no module constant:
    # /me's, the account with its enrolled second factors beside it.
    enrolled = EnrolledFactors((TotpMethod, RecoveryCodeMethod, PasskeySecondFactor))
    statement = session_with_owner(enrolled.beside(AccountById()).row_of(OWNER_ID))
    params = {"b_sid": SID, OWNER_ID.key: user_id}
    theirs = await _run(store, statement, params, ours=False)
    assert await _run(store, statement, params, ours=True) == theirs
    (row,) = theirs[1]
    assert row["id"] == SID and row["amr"] == ["pwd", "otp", "mfa"]
    found = user_id == UID
    assert row[OWNER_PREFIX + "email"] == ("ada@example.org" if found else None)
    assert row[OWNER_PREFIX + "roles"] == (["admin", "ops"] if found else None)
    assert row[OWNER_PREFIX + OWNER_FOUND] is (True if found else None)
    owner = {k[len(OWNER_PREFIX) :]: v for k, v in row.items() if k.startswith(OWNER_PREFIX)}
    if found:  # the flags in the row say what the separate statement says
        assert enrolled.names_in(cast(Any, owner)) == {"totp", "recovery_code"}
    else:
        assert not any(v for k, v in owner.items() if k.startswith("enrolled__"))


@pytest.mark.parametrize("user_id", [UID, "u-nobody"])
async def test_the_linked_identities_beside_an_owner_are_those_of_their_own_statement(
    store: Store, user_id: str
) -> None:
    # /me on PostgreSQL: the identities as a JSON column of the owner's row. Its reader must
    # give what LinkedIdentities.of_user_in reads (its independent statement), exactly.
    if store.dialect != "postgresql":
        pytest.skip("SQLite reads the identities in a statement of their own")
    identities = LinkedIdentities(store, audit=AuditLog(store), clock=lambda: NOW)
    reader = identities.beside(AccountById())
    statement = session_with_owner(reader.row_of(OWNER_ID))
    params = {"b_sid": SID, OWNER_ID.key: user_id}
    theirs = await _run(store, statement, params, ours=False)
    assert await _run(store, statement, params, ours=True) == theirs
    (row,) = theirs[1]
    owned = owner_of(row)

    def separately(conn: Connection) -> Any:
        return identities.of_user_in(conn, user_id)

    expected = await _in_unit_connection(store, separately)
    if user_id == UID:
        assert owned is not None
        _, in_row = reader.from_row(cast(Any, owned))
        assert len(expected) == 2 and in_row == expected
        assert [type(identity.created_at) for identity in in_row] == [float, float]
    else:
        assert owned is None and expected == ()


async def test_linked_identities_keep_their_exact_times_and_text_in_the_row(
    store: Store,
) -> None:
    if store.dialect != "postgresql":
        pytest.skip("SQLite reads the identities in a statement of their own")
    async with store.transaction() as conn:
        await conn.execute(
            federated_identities.update()
            .where(federated_identities.c.id == "i1")
            .values(created_at=1_764_771_234.1234567, subject='quote " and \\ ☃', email=None)
        )
    identities = LinkedIdentities(store, audit=AuditLog(store), clock=lambda: NOW)
    reader = identities.beside(AccountById())
    statement = session_with_owner(reader.row_of(OWNER_ID))
    _, rows, _ = await _run(store, statement, {"b_sid": SID, OWNER_ID.key: UID}, ours=True)
    owned = owner_of(rows[0])
    assert owned is not None
    _, in_row = reader.from_row(cast(Any, owned))
    assert in_row is not None
    # Now the older one: the row's order is the separate statement's, oldest first.
    changed, unchanged = in_row
    assert (changed.id, unchanged.id) == ("i1", "i0")
    assert changed.created_at == 1_764_771_234.1234567
    assert changed.subject == 'quote " and \\ ☃' and changed.email is None
