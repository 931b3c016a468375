"""Which second factors a user has, asked of every method in one statement (``/me`` and each
login ask it), on SQLite and PostgreSQL: only a ready factor counts, and only the user's own."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement

from jotauth.factors.methods import EnrolledFactors, RecoveryCodeMethod, TotpMethod
from jotauth.factors.recovery_codes import RecoveryCodes
from jotauth.factors.totp import TotpFactors
from jotauth.passkeys import PasskeySecondFactor
from jotauth.store import AuditLog, Store
from jotauth.store.schema import webauthn_credentials
from tests.integration.factors.test_factors_store import SECRET, _user
from tests.support.clock import SettableClock
from tests.support.otp import oathtool_code


@dataclass
class _Clause:
    name: str
    enrolled_clause: ColumnElement[bool]


# The methods' own clauses (class attributes: the reader needs no configured method).
ENROLLED = EnrolledFactors(
    _Clause(method.name, method.enrolled_clause)
    for method in (TotpMethod, RecoveryCodeMethod, PasskeySecondFactor)
)


async def _enrolled(store: Store, user_id: str) -> frozenset[str]:
    return await store.read_unit(lambda conn: ENROLLED(conn, user_id))


async def _passkey(store: Store, user_id: str) -> None:
    async with store.transaction() as conn:
        await conn.execute(
            webauthn_credentials.insert().values(
                id=f"pk-{user_id}", credential_id=f"cred-{user_id}", user_id=user_id,
                public_key=b"k", sign_count=0, transports=[], backup_eligible=False,
                backup_state=False, aaguid="00000000-0000-0000-0000-000000000000",
                name="key", created_at=0.0, last_used_at=None,
            )
        )  # fmt: skip


async def test_only_ready_factors_of_the_user_count(store: Store) -> None:
    clock = SettableClock(1_800_000_001.0)
    totp = TotpFactors(store, secret=SECRET, issuer="jotauth", clock=clock)
    codes = RecoveryCodes(store, audit=AuditLog(store), clock=clock)
    ada, bob = await _user(store, "ada"), await _user(store, "bob")
    assert await _enrolled(store, ada) == frozenset()

    # A set-up not yet confirmed is no factor.
    enrolment = await totp.start_enrolment(ada, account_name="ada@example.org")
    assert await _enrolled(store, ada) == frozenset()
    assert await totp.confirm(ada, oathtool_code(enrolment.secret, clock()))
    assert await _enrolled(store, ada) == {"totp"}

    issued = await codes.replace(ada)
    assert await _enrolled(store, ada) == {"totp", "recovery_code"}
    for code in issued:
        assert await codes.use(ada, code)
    # Every code spent: recovery codes are no longer offered.
    assert await _enrolled(store, ada) == {"totp"}

    await _passkey(store, ada)
    assert await _enrolled(store, ada) == {"totp", "passkey"}
    # Nothing of Ada's counts for Bob.
    assert await _enrolled(store, bob) == frozenset()
    await _passkey(store, bob)
    assert await _enrolled(store, bob) == {"passkey"}


async def test_no_methods_read_nothing(store: Store) -> None:
    assert await store.read_unit(lambda conn: EnrolledFactors([])(conn, "ada")) == frozenset()
