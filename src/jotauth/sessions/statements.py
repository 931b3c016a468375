"""The statements of the session hot paths, built once (SQLAlchemy Core, compiled and cached on
first use): a refresh or a ``/me`` only binds parameters.

A new ``sessions`` column is added to ``store/schema.py`` (and a migration); ``select(sessions)``
below and :func:`jotauth.sessions.rows.session_from_row` pick it up, and :data:`TOUCH` lists
what a rotation changes on the session row.
"""

from __future__ import annotations

from sqlalchemy import bindparam, exists, insert, select, update

from jotauth.store import prepared
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

INSERT_TOKEN = prepared(
    insert(refresh_tokens).values(
        token_hash=bindparam("b_token"),
        session_id=bindparam("b_sid"),
        state="active",
        created_at=bindparam("now"),
    )
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

# PostgreSQL: what follows a won rotation (the successor's INSERT, TOUCH, FORGET_SUCCESSORS)
# in one statement, the two UPDATEs as data-modifying CTEs (always run, in the statement's
# snapshot, which sees the rotation before it): one round trip instead of three. Built from
# the statements above, so a column added to TOUCH is in here too. SQLite has no
# data-modifying CTEs and no round trips to save; it runs the three.
ROTATION_TAIL_PG = INSERT_TOKEN.add_cte(TOUCH.cte("touch")).add_cte(FORGET_SUCCESSORS.cte("forget"))
