"""TOTP and recovery codes as second-factor methods of the login step.

Both have the shape of :class:`jotauth.accounts.second_factor_methods.SecondFactorMethod`
(a structural Protocol: nothing here imports the application layer). A proof is the
request's ``code``; a wrong one raises :class:`SecondFactorInvalid`, and both prove ``otp``
(RFC 8176: a one-time password).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import BindParameter, ColumnElement, Connection, Select, bindparam, exists, select
from sqlalchemy.engine import RowMapping

from jotauth.factors.errors import SecondFactorInvalid
from jotauth.factors.recovery_codes import RecoveryCodes
from jotauth.factors.totp import TotpFactors
from jotauth.store import prepared
from jotauth.store.rebinding import with_binds_replaced
from jotauth.store.schema import recovery_codes, totp_factors

OTP_AMR = ("otp",)
# The user id a method's ``enrolled_clause`` (an EXISTS over its table) compares with, so one
# statement asks every method at once (:class:`EnrolledFactors`).
ENROLLED_USER: BindParameter[str] = bindparam("enrolled_user")
# The flag columns of EnrolledFactors.flags_of, beside a user's own.
ENROLLED_PREFIX = "enrolled__"
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class HasEnrolledClause(Protocol):
    """A second-factor method stored in this database."""

    name: str
    # Whether the user ``ENROLLED_USER`` has the factor, ready to be used.
    enrolled_clause: ColumnElement[bool]


class EnrolledFactors:
    """Which of these methods a user has enrolled, asked in one statement (the
    ``EnrolledReader`` of ``jotauth.accounts.SecondFactorMethods``)."""

    def __init__(self, methods: Iterable[HasEnrolledClause]) -> None:
        methods = tuple(methods)
        self._names = tuple(method.name for method in methods)
        self._clauses = tuple(method.enrolled_clause for method in methods)
        # Built once: one row of one flag per method.
        self._statement = (
            prepared(select(*[method.enrolled_clause.label(method.name) for method in methods]))
            if methods
            else None
        )

    def __call__(self, conn: Connection, user_id: str) -> frozenset[str]:
        """The names of the user's enrolled methods, inside a unit of work."""
        if self._statement is None:
            return frozenset()
        flags = conn.execute(self._statement, {ENROLLED_USER.key: user_id}).one()
        return frozenset(name for name, on in zip(self._names, flags, strict=True) if on)

    def beside(self, reader: RowReader[T]) -> EnrolledBeside[T]:
        """``reader`` whose user comes with the names of their enrolled methods, read in
        the same row (:class:`EnrolledBeside`)."""
        return EnrolledBeside(reader, self)

    def flags_of(self, user_id: ColumnElement[str]) -> list[ColumnElement[bool]]:
        """One column per method, labelled ENROLLED_PREFIX + its name: whether the user
        ``user_id`` enrolled it."""
        return [
            with_binds_replaced(clause, {ENROLLED_USER.key: user_id}).label(ENROLLED_PREFIX + name)
            for name, clause in zip(self._names, self._clauses, strict=True)
        ]

    def names_in(self, row: RowMapping) -> frozenset[str]:
        """The names of the enrolled methods in a row with :meth:`flags_of`."""
        return frozenset(name for name in self._names if row[ENROLLED_PREFIX + name])


class RowReader(Protocol[T_co]):
    """A user as a row of another statement: the ``OwnerRow`` shape of ``jotauth.sessions``
    (structural: no import of that layer)."""

    def row_of(self, user_id: ColumnElement[str]) -> Select[Any]: ...

    def from_row(self, row: RowMapping) -> T_co: ...


class EnrolledBeside(Generic[T]):
    """``reader``'s user with the names of the methods they enrolled, itself a RowReader:
    as a row, the user's columns and one flag per method beside them, so ``/me`` reads its
    session, the account and its second factors in one statement."""

    def __init__(self, reader: RowReader[T], enrolled: EnrolledFactors) -> None:
        self._reader = reader
        self._enrolled = enrolled

    def row_of(self, user_id: ColumnElement[str]) -> Select[Any]:
        return self._reader.row_of(user_id).add_columns(*self._enrolled.flags_of(user_id))

    def from_row(self, row: RowMapping) -> tuple[T, frozenset[str]]:
        return self._reader.from_row(row), self._enrolled.names_in(row)


def code_of(proof: Mapping[str, object]) -> str:
    """The ``code`` of a proof; :class:`SecondFactorInvalid` when there is none."""
    code = proof.get("code")
    if not isinstance(code, str) or not code.strip():
        raise SecondFactorInvalid()
    return code.strip()


class TotpMethod:
    """A code from the user's authenticator app."""

    name = "totp"
    # A confirmed factor (a pending set-up is not one yet).
    enrolled_clause: ColumnElement[bool] = exists().where(
        totp_factors.c.user_id == ENROLLED_USER, totp_factors.c.confirmed_at.is_not(None)
    )

    def __init__(self, factors: TotpFactors) -> None:
        self._factors = factors

    async def challenge(self, user_id: str, attempt_id: str) -> dict[str, object] | None:
        """Nothing to send: the app computes codes from the shared secret and the time."""
        return None

    async def verify(
        self, user_id: str, attempt_id: str, proof: Mapping[str, object]
    ) -> tuple[str, ...]:
        """Accept a current, unused code (``proof["code"]``, six digits, spaces ignored)."""
        if not await self._factors.verify(user_id, code_of(proof)):
            raise SecondFactorInvalid()
        return OTP_AMR


class RecoveryCodeMethod:
    """One of the user's single-use recovery codes."""

    name = "recovery_code"
    # An unused code.
    enrolled_clause: ColumnElement[bool] = exists().where(
        recovery_codes.c.user_id == ENROLLED_USER, recovery_codes.c.used_at.is_(None)
    )

    def __init__(self, codes: RecoveryCodes) -> None:
        self._codes = codes

    async def challenge(self, user_id: str, attempt_id: str) -> dict[str, object] | None:
        """Nothing to send."""
        return None

    async def verify(
        self, user_id: str, attempt_id: str, proof: Mapping[str, object]
    ) -> tuple[str, ...]:
        """Spend the code in ``proof["code"]``."""
        if not await self._codes.use(user_id, code_of(proof)):
            raise SecondFactorInvalid("The recovery code is not valid or was already used.")
        return OTP_AMR
