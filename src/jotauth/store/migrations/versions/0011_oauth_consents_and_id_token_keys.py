"""OAuth consent memory, per-client ID-token algorithm, and the RS256 ID-token key ring.

* ``oauth_consents``: the scopes a user approved for a third-party client, so the consent
  page is not shown again for them (removed with the client or the user).
* ``oauth_clients.id_token_signed_response_alg`` (OIDC Dynamic Client Registration §2 name):
  NULL means RS256, the algorithm every OIDC client supports (DESIGN §11).
* ``signing_keys.ring``: ``access`` (the existing keys) or ``id_token`` (RS256 keys kept
  beside the access-token keys when those are not RS256).

Revision ID: 0011
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``oauth_consents``; add ``id_token_signed_response_alg`` and ``ring``."""
    op.create_table(
        "oauth_consents",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(1000), nullable=False),
        sa.Column("granted_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "client_id", name="pk_oauth_consents"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_oauth_consents_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oauth_clients.client_id"],
            name="fk_oauth_consents_client_id_oauth_clients",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_oauth_consents_client_id", "oauth_consents", ["client_id"])
    with op.batch_alter_table("oauth_clients") as batch:
        batch.add_column(sa.Column("id_token_signed_response_alg", sa.String(16), nullable=True))
    with op.batch_alter_table("signing_keys") as batch:
        batch.add_column(sa.Column("ring", sa.String(16), nullable=False, server_default="access"))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("signing_keys") as batch:
        batch.drop_column("ring")
    with op.batch_alter_table("oauth_clients") as batch:
        batch.drop_column("id_token_signed_response_alg")
    op.drop_index("ix_oauth_consents_client_id", table_name="oauth_consents")
    op.drop_table("oauth_consents")
