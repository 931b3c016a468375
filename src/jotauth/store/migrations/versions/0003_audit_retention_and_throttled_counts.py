"""Throttled attempts are counted, not logged one by one; the audit look-ups are indexed.

A refused (throttled) login used to append one audit row per request, and nothing was ever
purged: 400 throttled requests were 400 rows. ``throttled_attempts`` holds one row per event,
hour, address and user with a count; ``audit_events`` gains the indexes its look-ups (by
session, by event) need, the retention purge already has ``ix_audit_events_at``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``throttled_attempts`` and index ``audit_events`` by session and by event."""
    op.create_table(
        "throttled_attempts",
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("window_start", sa.Double, nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("last_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint(
            "event", "window_start", "ip", "user_id", name="pk_throttled_attempts"
        ),
    )
    op.create_index("ix_throttled_attempts_window_start", "throttled_attempts", ["window_start"])
    op.create_index("ix_audit_events_session_id", "audit_events", ["session_id"])
    op.create_index("ix_audit_events_event", "audit_events", ["event", "id"])


def downgrade() -> None:
    """Drop the table and the indexes again."""
    op.drop_index("ix_audit_events_event", table_name="audit_events")
    op.drop_index("ix_audit_events_session_id", table_name="audit_events")
    op.drop_index("ix_throttled_attempts_window_start", table_name="throttled_attempts")
    op.drop_table("throttled_attempts")
