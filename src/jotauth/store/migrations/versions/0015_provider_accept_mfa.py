"""Federation: a provider may vouch for the second factor (DESIGN §14, issue 14).

* ``federation_providers.accept_mfa``: when true, a sign-in whose verified ID token says
  ``amr`` contains ``mfa`` needs no second step here (the session's amr is ``fed``, ``mfa``);
  false (the default, and every existing provider) sends a user with second factors through
  this server's own second step after the provider's sign-in.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``federation_providers.accept_mfa`` (false for every existing provider)."""
    with op.batch_alter_table("federation_providers") as batch:
        batch.add_column(
            sa.Column("accept_mfa", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    """Drop ``federation_providers.accept_mfa``."""
    with op.batch_alter_table("federation_providers") as batch:
        batch.drop_column("accept_mfa")
