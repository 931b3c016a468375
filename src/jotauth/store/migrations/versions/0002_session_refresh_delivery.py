"""Sessions remember how their refresh token is delivered (cookie or body).

A refresh token issued as a browser cookie must not be redeemed in a JSON body as a native
client's (that skips the CSRF check and puts the next token where script can read it), nor the
reverse. Sessions created before this revision have NULL: either presentation is accepted.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``sessions.refresh_delivery`` ('cookie' | 'body', NULL for older sessions)."""
    op.add_column("sessions", sa.Column("refresh_delivery", sa.String(8), nullable=True))


def downgrade() -> None:
    """Drop the column again."""
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("refresh_delivery")
