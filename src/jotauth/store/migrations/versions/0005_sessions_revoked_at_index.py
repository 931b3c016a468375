"""Index sessions by revocation time, for the revocation feed (DESIGN §9).

``/.well-known/jotauth-revocations`` lists the sessions ended within the access-token
lifetime; without the index that read would scan every session.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``ix_sessions_revoked_at``."""
    op.create_index("ix_sessions_revoked_at", "sessions", ["revoked_at"])


def downgrade() -> None:
    """Drop it again."""
    op.drop_index("ix_sessions_revoked_at", table_name="sessions")
