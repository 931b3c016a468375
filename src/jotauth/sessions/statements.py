"""The statements of the session hot paths, built once (SQLAlchemy Core, compiled and cached on
first use): a refresh or a ``/me`` only binds parameters.

A new ``sessions`` column is added to ``store/schema.py`` (and a migration); ``select(sessions)``
below and :func:`jotauth.sessions.rows.session_from_row` pick it up, and :data:`TOUCH` lists
what a rotation changes on the session row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Insert,
    Select,
    Subquery,
    bindparam,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import RowMapping

from jotauth.store import prepared
from jotauth.store.audit import insert_event_if
from jotauth.store.batches import batch_delete
from jotauth.store.rebinding import with_binds_replaced
from jotauth.store.schema import refresh_tokens, sessions

_successor = refresh_tokens.alias("successor")

# The refresh-token row of one SHA-256, in any state.
TOKEN_BY_HASH = prepared(
    select(refresh_tokens).where(refresh_tokens.c.token_hash == bindparam("hash"))
)

# The session a token belongs to, locked (FOR UPDATE renders as nothing on SQLite, whose write
# transaction is already exclusive). A token's session never changes, so the sub-select is as
# good as a previous read; lock order stays session row, then token rows, as in revocation.
LOCK_SESSION_OF_TOKEN = prepared(
    select(sessions)
    .where(
        sessions.c.id
        == select(refresh_tokens.c.session_id)
        .where(refresh_tokens.c.token_hash == bindparam("hash"))
        .scalar_subquery()
    )
    .with_for_update(of=sessions)
)

SESSION_BY_ID = prepared(select(sessions).where(sessions.c.id == bindparam("b_sid")))

# The single winner: only the presentation that still finds the token active rotates it.
ROTATE = prepared(
    update(refresh_tokens)
    .where(refresh_tokens.c.token_hash == bindparam("hash"), refresh_tokens.c.state == "active")
    .values(
        state="rotated",
        rotated_at=bindparam("now"),
        successor_hash=bindparam("b_successor"),
        successor_nonce=bindparam("nonce"),
        successor_sealed=bindparam("sealed"),
    )
)

# A successor's row (INSERT_TOKEN, and its gated form in the PostgreSQL rotation statement).
_SUCCESSOR_ROW: dict[str, Any] = {
    "token_hash": bindparam("b_token"),
    "session_id": bindparam("b_sid"),
    "state": "active",
    "created_at": bindparam("now"),
}

INSERT_TOKEN = prepared(insert(refresh_tokens).values(_SUCCESSOR_ROW))

# A new session's row: one parameter per column, its name with b_ (rows.session_params).
INSERT_SESSION = prepared(
    insert(sessions).values({column.name: bindparam(f"b_{column.name}") for column in sessions.c})
)

# What a rotation changes on the session row.
TOUCH = prepared(
    update(sessions)
    .where(sessions.c.id == bindparam("b_sid"))
    .values(last_used_at=bindparam("now"), idle_expires_at=bindparam("b_idle"))
)

# A rotated row whose successor was used more than the grace window ago is never redeemed
# again: forget its sealed successor. Only rows still holding one are visited (the partial
# index ix_refresh_tokens_sealed, migration 0010), so a session with 100k rotations behind it
# costs what a new one does; and only those created before the cutoff (its successor, used
# before the cutoff, came after it), so neither do the many rotations of the last seconds of
# a session refreshed back to back (the index is by age too, 0014).
FORGET_SUCCESSORS = prepared(
    update(refresh_tokens)
    .where(
        refresh_tokens.c.session_id == bindparam("b_sid"),
        refresh_tokens.c.successor_sealed.is_not(None),
        refresh_tokens.c.created_at <= bindparam("cutoff"),
        refresh_tokens.c.state == "rotated",
        exists().where(
            _successor.c.token_hash == refresh_tokens.c.successor_hash,
            _successor.c.state == "rotated",
            _successor.c.rotated_at <= bindparam("cutoff"),
        ),
    )
    .values(successor_nonce=None, successor_sealed=None)
)

# The session purge's batch: up to ``batch`` sessions past their absolute expiry, found on
# ix_sessions_expires_at (0010), deleted with what hangs off them (their refresh tokens and
# OAuth grants go by ON DELETE CASCADE, on SQLite as foreign_keys=ON on every connection
# enforces it). On PostgreSQL the session rows are locked first and then their tokens, the lock
# order of rotation, and rows another purge holds are skipped, not waited for.
DELETE_EXPIRED_SESSIONS = batch_delete(
    sessions, [sessions.c.id], sessions.c.expires_at <= bindparam("now"), skip_locked=True
)

# PostgreSQL: a whole rotation in one statement, from nothing but the presented token. ROTATE is
# a data-modifying CTE whose RETURNING is the only way the other parts see it (they all run in
# one snapshot, taken before it): each of them — the successor's INSERT, TOUCH,
# FORGET_SUCCESSORS, the ``refresh`` audit row — is gated on that RETURNING, so a lost race
# writes nothing, and the statement returns one row if and only if ROTATE matched, as its
# rowcount did. That row is the session as locked (``select(sessions)``'s columns) and, prefixed
# OWNER_PREFIX, the owner's row (the users layer's statement, for the session's user_id),
# OWNER_FOUND marking it. One round trip where there were two (a read of the token's session,
# then the rotation), and before that five. Built from the statements above, whose session id,
# idle expiry and audit ids come from the locked session instead of parameters, so a column
# added to TOUCH is in here too. The one thing FORGET_SUCCESSORS cannot see in this snapshot is
# the presented token as rotated: only with a grace period of 0 would that have let it forget
# the predecessor's sealed successor at once; the next rotation forgets it instead (it is not
# redeemable either way). SQLite has no data-modifying CTEs and no round trips to save; it runs
# the statements one by one.
OWNER_FOUND = "rotation_owner_found"
OWNER_ID: BindParameter[str] = bindparam("b_owner", type_=sessions.c.user_id.type)
# A row's owner columns are labelled with OWNER_PREFIX, so they never meet the session's own
# (both have ``id`` and ``created_at``); OWNER_FOUND is null when there is no such user.
OWNER_PREFIX = "owner__"
# How the token is presented ("cookie", "body"; None: not checked), as rotation._mismatched.
PRESENTED_IN: BindParameter[str | None] = bindparam(
    "presented_in", type_=sessions.c.refresh_delivery.type
)

# The rotation statement's first step: lock the session of the presented token if the token is
# active, the session still live and the token presented the way it was issued. ROTATE is gated
# on it, and everything else on ROTATE, so the session is locked before any token row (the lock
# order of revocation) and a logout that committed while we waited for the lock is seen (FOR
# UPDATE re-reads the row it waited for): the statement can run on its own, in autocommit, or
# inside the transaction that already holds the lock (then it is the same row again, and the
# same answer). The session it returns, how and when the user last authenticated included, is
# as of the lock: a step-up committed meanwhile is what the new access token says.
_LIVE_SESSION_OF_TOKEN = select(sessions).where(
    sessions.c.id
    == select(refresh_tokens.c.session_id)
    .where(refresh_tokens.c.token_hash == bindparam("hash"), refresh_tokens.c.state == "active")
    .scalar_subquery(),
    sessions.c.revoked_at.is_(None),
    sessions.c.expires_at > bindparam("now"),
    sessions.c.idle_expires_at > bindparam("now"),
    or_(
        PRESENTED_IN.is_(None),
        sessions.c.refresh_delivery.is_(None),
        sessions.c.refresh_delivery == PRESENTED_IN,
    ),
)


def rotation_pg(owner_row: Callable[[ColumnElement[str]], Select[Any]] | None) -> Select[Any]:
    """The PostgreSQL rotation statement, reading ``owner_row(user id)`` too (built once per
    reader)."""
    # MATERIALIZED: run once, as a step of its own, never folded into ROTATE's sub-select.
    live = _LIVE_SESSION_OF_TOKEN.with_for_update().cte("live_session").prefix_with("MATERIALIZED")
    rotated = (
        ROTATE.where(select(live.c.id).exists())
        .returning(refresh_tokens.c.session_id)
        .cte("rotated")
    )
    won = select(rotated.c.session_id).exists()
    session_id = select(live.c.id).scalar_subquery()
    user_id = select(live.c.user_id).scalar_subquery()
    of_the_session: dict[str, ColumnElement[Any]] = {
        "b_sid": session_id,
        # The idle expiry never passes the absolute one (b_idle: now + the idle lifetime).
        "b_idle": select(
            func.least(
                bindparam("b_idle", type_=sessions.c.idle_expires_at.type), live.c.expires_at
            )
        ).scalar_subquery(),
        "audit_session_id": session_id,
        "audit_user_id": user_id,
    }
    rows = rotated.join(live, true())  # one row each, or none: ROTATE is gated on live
    statement = select(*live.c).select_from(rows)
    if owner_row is not None:
        owner = owner_row(live.c.user_id).add_columns(true().label(OWNER_FOUND)).subquery("owner")
        statement = select(*live.c, *owner_columns(owner)).select_from(
            rows.outerjoin(owner, true())
        )
    parts = {
        "new_token": _successor_if(won),
        "touch": TOUCH.where(won),
        "forget": FORGET_SUCCESSORS.where(won),
        "audit": insert_event_if(won),
    }
    return prepared(
        statement.add_cte(
            *(with_binds_replaced(part, of_the_session).cte(name) for name, part in parts.items())
        )
    )


def owner_columns(owner: Subquery) -> list[ColumnElement[Any]]:
    """The columns of an owner's row, labelled with OWNER_PREFIX beside a session's own."""
    return [column.label(OWNER_PREFIX + column.key) for column in owner.c]


def owner_of(row: Mapping[str, Any] | RowMapping) -> dict[str, Any] | None:
    """The owner's row in a row with :func:`owner_columns` (None: there was no owner)."""
    if not row[OWNER_PREFIX + OWNER_FOUND]:
        return None
    cut = len(OWNER_PREFIX)
    return {key[cut:]: value for key, value in row.items() if key.startswith(OWNER_PREFIX)}


# A session and a user's row in one statement (``/me``: one round trip where there were two).
def session_with_owner(owner_row: Select[Any]) -> Select[Any]:
    """The session whose id is ``b_sid`` and, beside it, ``owner_row`` (its user id bound as
    OWNER_ID); no row when there is no such session (built once per reader)."""
    owner = owner_row.add_columns(true().label(OWNER_FOUND)).subquery("owner")
    return prepared(
        select(sessions, *owner_columns(owner))
        .select_from(sessions.outerjoin(owner, true()))
        .where(sessions.c.id == bindparam("b_sid"))
    )


def _successor_if(condition: ColumnElement[bool]) -> Insert:
    # INSERT … SELECT, the only INSERT that takes a WHERE; its values typed as their columns
    # (a bare parameter in a select list would reach PostgreSQL as text).
    row = select(
        *(
            bindparam(value.key, type_=refresh_tokens.c[name].type)
            if isinstance(value, BindParameter)
            else literal(value, refresh_tokens.c[name].type)
            for name, value in _SUCCESSOR_ROW.items()
        )
    ).where(condition)
    return insert(refresh_tokens).from_select(list(_SUCCESSOR_ROW), row)


# The rotation statement without an owner read.
ROTATION_PG = rotation_pg(None)
