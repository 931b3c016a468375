"""A statement whose bind parameters stand for something another statement knows.

A statement built for parameters (a session id, a user id) embedded in a larger one, where the
value is a column of that one: the refresh on PostgreSQL takes the session id from the row it
locked, ``/me`` the user id of its session's owner row. Replacing the parameters keeps one
definition of each statement instead of a copy per use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from sqlalchemy import BindParameter, ColumnElement
from sqlalchemy.sql import visitors

S = TypeVar("S")


def with_binds_replaced(statement: S, values: Mapping[str, ColumnElement[Any]]) -> S:
    """A copy of ``statement`` with each bind parameter named in ``values`` replaced by its
    element (which is not traversed itself: it may hold a parameter of the same name)."""

    def replace(element: Any, **_: Any) -> Any:
        if isinstance(element, BindParameter) and element.key in values:
            return values[element.key]
        return None

    return cast(S, visitors.replacement_traverse(cast(Any, statement), {}, replace))
