"""A user read by id (or address) inside a unit of work: alone, or as a row another layer's
statement selects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, bindparam, select
from sqlalchemy.engine import RowMapping

from jotauth.store import prepared
from jotauth.store.schema import users
from jotauth.users.models import User

# The password hash of an account created through another identity provider: matches no
# password (it is no argon2 hash), until the user sets one (set_first_password).
NO_PASSWORD = ""


def row_of_user(user_id: ColumnElement[str]) -> Select[Any]:
    """The ``users`` row whose id is ``user_id`` (none if there is no such user)."""
    return select(users).where(users.c.id == user_id)


USER_BY_ID = prepared(row_of_user(bindparam("user_id")))
# A login's, a sign-up's and a reset's read of the account an address names (normalised).
USER_BY_EMAIL = prepared(select(users).where(users.c.email == bindparam("email")))


def user_from_row(row: RowMapping) -> User:
    """A ``users`` row as the rest of the system sees it."""
    return User(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        roles=tuple(row["roles"]),
        scope=tuple(row["scope"]),
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
        email_verified=bool(row["email_verified"]),
    )


class UserById:
    """``UserService.user_in``: the user with this id, or ``None``, inside a unit of work.

    Also the ``OwnerReader`` of ``jotauth.sessions``: a refresh on PostgreSQL selects the
    session's owner in its rotation statement (:meth:`row_of`, :meth:`from_row`) instead of
    a round trip of its own; this layer hands out its SQL, the sessions layer imports none of it.
    """

    def __call__(self, conn: Connection, user_id: str) -> User | None:
        row = conn.execute(USER_BY_ID, {"user_id": user_id}).mappings().first()
        return None if row is None else user_from_row(row)

    def row_of(self, user_id: ColumnElement[str]) -> Select[Any]:
        """The user's row, for embedding in another statement."""
        return row_of_user(user_id)

    def from_row(self, row: RowMapping) -> User:
        """The user from a row of :meth:`row_of` (extra columns are ignored)."""
        return user_from_row(row)


class AccountById:
    """``UserService.account_in``: the user and whether it can sign in with a password, as
    the row ``/me`` selects beside its session (an ``OwnerRow`` of ``jotauth.sessions``)."""

    def row_of(self, user_id: ColumnElement[str]) -> Select[Any]:
        """The user's row, for embedding in another statement."""
        return row_of_user(user_id)

    def from_row(self, row: RowMapping) -> tuple[User, bool]:
        """The user and whether it has a password, from a row of :meth:`row_of`."""
        return user_from_row(row), row["password_hash"] != NO_PASSWORD
