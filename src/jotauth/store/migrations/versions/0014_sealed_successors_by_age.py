"""Index the rows still keeping a sealed successor by session *and age* (issue 15).

The "forget old successors" UPDATE of every rotation looked at every rotated row of the
session still holding a sealed successor (``ix_refresh_tokens_sealed`` on ``session_id``).
Within the grace window those are all the rotations of the last seconds, so a session
refreshed back to back (a storm, a busy native client) paid for each of them on each
rotation: 90% of a refresh's SQLite time at a few thousand rows. A row can only be forgotten
once its successor was used before the cutoff, so it was created before the cutoff too; with
``created_at`` in the index the UPDATE visits only rows older than the grace window, which
are (but for one or two) exactly the ones it forgets.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None

_SEALED = sa.text("successor_sealed IS NOT NULL")


def _create(columns: list[str]) -> None:
    op.create_index(
        "ix_refresh_tokens_sealed",
        "refresh_tokens",
        columns,
        sqlite_where=_SEALED,
        postgresql_where=_SEALED,
    )


def upgrade() -> None:
    """Rebuild the partial index on (session_id, created_at)."""
    op.drop_index("ix_refresh_tokens_sealed", table_name="refresh_tokens")
    _create(["session_id", "created_at"])


def downgrade() -> None:
    """Back to the index on session_id alone (0010)."""
    op.drop_index("ix_refresh_tokens_sealed", table_name="refresh_tokens")
    _create(["session_id"])
