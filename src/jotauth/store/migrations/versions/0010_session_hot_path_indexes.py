"""Index what the session purge and the rotation look up (issue 15).

* ``ix_sessions_expires_at``: the purge finds expired sessions without scanning them all (53 ms
  at 1M sessions, inside the SQLite write lock, before).
* ``ix_refresh_tokens_sealed``: a partial index of the rotated rows that still keep a sealed
  successor; the "forget old successors" UPDATE of every rotation visits only those (a few),
  not a long session's whole history.

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

_SEALED = sa.text("successor_sealed IS NOT NULL")


def upgrade() -> None:
    """Add both indexes."""
    op.create_index("ix_sessions_expires_at", "sessions", ["expires_at"])
    op.create_index(
        "ix_refresh_tokens_sealed",
        "refresh_tokens",
        ["session_id"],
        sqlite_where=_SEALED,
        postgresql_where=_SEALED,
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_refresh_tokens_sealed", table_name="refresh_tokens")
    op.drop_index("ix_sessions_expires_at", table_name="sessions")
