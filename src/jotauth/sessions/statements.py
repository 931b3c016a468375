"""The statements of the session hot paths, built once (SQLAlchemy Core, compiled and cached on
first use): a refresh or a ``/me`` only binds parameters.

A new ``sessions`` column is added to ``store/schema.py`` (and a migration); ``select(sessions)``
below and :func:`jotauth.sessions.rows.session_from_row` pick it up, and :data:`TOUCH` lists
what a rotation changes on the session row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Insert,
    Select,
    bindparam,
    exists,
    insert,
    literal,
    select,
    true,
    update,
)

from jotauth.store import prepared
from jotauth.store.audit import insert_event_if
from jotauth.store.batches import batch_delete
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

# PostgreSQL's first look at a refresh, in autocommit and without a lock: the session of a
# token and the token's state (TOKEN_STATE), in one round trip. What it shows only decides
# whether to try the one-statement rotation, which checks again under the session's lock.
TOKEN_STATE = "presented_token_state"
SESSION_AND_TOKEN_STATE = prepared(
    select(sessions, refresh_tokens.c.state.label(TOKEN_STATE))
    .join(refresh_tokens, refresh_tokens.c.session_id == sessions.c.id)
    .where(refresh_tokens.c.token_hash == bindparam("hash"))
)

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

# PostgreSQL: a whole rotation in one statement. ROTATE is a data-modifying CTE whose RETURNING
# is the only way the other parts see it (they all run in one snapshot, taken before it): each
# of them — the successor's INSERT, TOUCH, FORGET_SUCCESSORS, the ``refresh`` audit row — is
# gated on that RETURNING, so a lost race writes nothing, and the statement returns one row
# (labelled ROTATED) if and only if ROTATE matched, as its rowcount did. The owner's row (the
# users layer's statement, its id bound as OWNER_ID) rides in the same row, OWNER_FOUND marking
# it. One round trip where there were five (ROTATE, the rest, the audit INSERT, the owner read).
# Built from the statements above, so a column added to TOUCH is in here too. The one thing
# FORGET_SUCCESSORS cannot see in this snapshot is the presented token as rotated: only with a
# grace period of 0 would that have let it forget the predecessor's sealed successor at once;
# the next rotation forgets it instead (it is not redeemable either way). SQLite has no
# data-modifying CTEs and no round trips to save; it runs the statements one by one.
ROTATED = "rotation_rotated"
LOCKED_AMR, LOCKED_AUTH_TIME = "rotation_amr", "rotation_auth_time"
OWNER_FOUND = "rotation_owner_found"
OWNER_ID: BindParameter[str] = bindparam("b_owner", type_=sessions.c.user_id.type)


# The rotation statement's first step: lock the session row if the session is still live.
# ROTATE is gated on it, and everything else on ROTATE, so the session is locked before any
# token row (the lock order of revocation) and a logout that committed while we waited for the
# lock is seen (FOR UPDATE re-reads the row it waited for): the statement can run on its own,
# in autocommit, after a read that took no lock, or inside the transaction that already holds
# the lock (then it is the same row again, and the same answer). It hands on how and when the
# user last authenticated as of the lock: a step-up committed after an unlocked read is what
# the new access token says.
_LIVE_SESSION_LOCKED = select(sessions.c.id, sessions.c.amr, sessions.c.auth_time).where(
    sessions.c.id == bindparam("b_sid"),
    sessions.c.revoked_at.is_(None),
    sessions.c.expires_at > bindparam("now"),
    sessions.c.idle_expires_at > bindparam("now"),
)


# A session and a user's row in one statement (``/me``: one round trip where there were two).
# The user's columns are labelled with OWNER_PREFIX, so they never meet the session's own
# (both have ``id`` and ``created_at``); OWNER_FOUND is null when there is no such user.
OWNER_PREFIX = "owner__"


def session_with_owner(owner_row: Select[Any]) -> Select[Any]:
    """The session whose id is ``b_sid`` and, beside it, ``owner_row`` (its user id bound as
    OWNER_ID); no row when there is no such session (built once per reader)."""
    owner = owner_row.add_columns(true().label(OWNER_FOUND)).subquery("owner")
    labelled = [column.label(OWNER_PREFIX + column.key) for column in owner.c]
    return prepared(
        select(sessions, *labelled)
        .select_from(sessions.outerjoin(owner, true()))
        .where(sessions.c.id == bindparam("b_sid"))
    )


def rotation_pg(owner_row: Select[Any] | None) -> Select[Any]:
    """The PostgreSQL rotation statement, reading ``owner_row`` too (built once per reader)."""
    # MATERIALIZED: run once, as a step of its own, never folded into ROTATE's sub-select.
    live = _LIVE_SESSION_LOCKED.with_for_update().cte("live_session").prefix_with("MATERIALIZED")
    rotated = (
        ROTATE.where(select(live.c.id).exists())
        .returning(refresh_tokens.c.session_id)
        .cte("rotated")
    )
    won = select(rotated.c.session_id).exists()
    columns = (
        rotated.c.session_id.label(ROTATED),
        live.c.amr.label(LOCKED_AMR),
        live.c.auth_time.label(LOCKED_AUTH_TIME),
    )
    rows = rotated.join(live, true())  # one row each, or none: ROTATE is gated on live
    if owner_row is None:
        statement = select(*columns).select_from(rows)
    else:
        owner = owner_row.add_columns(true().label(OWNER_FOUND)).subquery("owner")
        statement = select(*columns, owner).select_from(rows.outerjoin(owner, true()))
    return prepared(
        statement.add_cte(
            _successor_if(won).cte("new_token"),
            TOUCH.where(won).cte("touch"),
            FORGET_SUCCESSORS.where(won).cte("forget"),
            insert_event_if(won).cte("audit"),
        )
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
