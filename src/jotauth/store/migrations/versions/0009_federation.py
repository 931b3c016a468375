"""Federation (DESIGN §14): upstream providers, linked identities, how a session signed in.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``federation_providers`` and ``federated_identities``; add ``sessions.amr``."""
    op.create_table(
        "federation_providers",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("issuer", sa.String(2048), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("client_secret_nonce", sa.LargeBinary, nullable=False),
        sa.Column("client_secret_sealed", sa.LargeBinary, nullable=False),
        sa.Column("authorize_url", sa.String(2048), nullable=False),
        sa.Column("token_url", sa.String(2048), nullable=False),
        sa.Column("userinfo_url", sa.String(2048), nullable=True),
        sa.Column("emails_url", sa.String(2048), nullable=True),
        sa.Column("jwks_uri", sa.String(2048), nullable=True),
        sa.Column("iss_parameter_supported", sa.Boolean, nullable=False),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("trusted_email_domains", sa.JSON, nullable=False),
        sa.Column("claims", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_federation_providers"),
        sa.CheckConstraint("kind IN ('oidc', 'oauth2')", name="ck_federation_providers_kind"),
    )
    op.create_table(
        "federated_identities",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("issuer", sa.String(2048), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("last_used_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_federated_identities"),
        sa.UniqueConstraint("issuer", "subject", name="uq_federated_identities_issuer_subject"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_federated_identities_user_id_users",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_federated_identities_user_id", "federated_identities", ["user_id"])
    op.add_column("sessions", sa.Column("amr", sa.JSON, nullable=True))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("amr")
    op.drop_index("ix_federated_identities_user_id", "federated_identities")
    op.drop_table("federated_identities")
    op.drop_table("federation_providers")
