"""OAuth 2.1 / OpenID Connect provider: registered clients, authorization codes, grants.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``oauth_clients``, ``oauth_codes`` and ``oauth_grants``."""
    op.create_table(
        "oauth_clients",
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("client_type", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=True),
        sa.Column("redirect_uris", sa.JSON, nullable=False),
        sa.Column("post_logout_redirect_uris", sa.JSON, nullable=False),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("first_party", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("client_id", name="pk_oauth_clients"),
        sa.CheckConstraint(
            "client_type IN ('public', 'confidential')", name="ck_oauth_clients_client_type"
        ),
    )
    op.create_table(
        "oauth_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("browser_session_id", sa.String(32), nullable=False),
        sa.Column("redirect_uri", sa.String(2048), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("scope", sa.String(1000), nullable=False),
        sa.Column("nonce", sa.String(512), nullable=True),
        sa.Column("auth_time", sa.Double, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.Column("used_at", sa.Double, nullable=True),
        sa.Column("issued_session_id", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name="pk_oauth_codes"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_oauth_codes_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_oauth_codes_expires_at", "oauth_codes", ["expires_at"])
    op.create_table(
        "oauth_grants",
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(1000), nullable=False),
        sa.Column("auth_time", sa.Double, nullable=False),
        sa.Column("browser_session_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name="pk_oauth_grants"),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name="fk_oauth_grants_session_id_sessions",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_oauth_grants_client_id", "oauth_grants", ["client_id"])


def downgrade() -> None:
    """Drop the provider's tables."""
    op.drop_index("ix_oauth_grants_client_id", "oauth_grants")
    op.drop_table("oauth_grants")
    op.drop_index("ix_oauth_codes_expires_at", "oauth_codes")
    op.drop_table("oauth_codes")
    op.drop_table("oauth_clients")
