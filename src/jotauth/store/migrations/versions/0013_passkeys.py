"""Passkeys (DESIGN §13): WebAuthn credentials and the challenges of their ceremonies.

* ``webauthn_credentials``: one row per registered credential (credential id unique across
  accounts), its COSE public key, the last sign count, transports, the backup flags (BE/BS),
  the AAGUID, a name the user chose, when it was added and last used.
* ``webauthn_challenges``: a challenge handed out and not yet used: SHA-256 only, short-lived,
  used once, bound to its purpose and to the user and session (registration) or login attempt
  (second factor) that asked for it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``webauthn_credentials`` and ``webauthn_challenges``."""
    op.create_table(
        "webauthn_credentials",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("credential_id", sa.String(1400), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("sign_count", sa.BigInteger, nullable=False),
        sa.Column("transports", sa.JSON, nullable=False),
        sa.Column("backup_eligible", sa.Boolean, nullable=False),
        sa.Column("backup_state", sa.Boolean, nullable=False),
        sa.Column("aaguid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("last_used_at", sa.Double, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webauthn_credentials"),
        sa.UniqueConstraint("credential_id", name="uq_webauthn_credentials_credential_id"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_webauthn_credentials_user_id_users",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_webauthn_credentials_user_id", "webauthn_credentials", ["user_id"])
    op.create_table(
        "webauthn_challenges",
        sa.Column("challenge_hash", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=True),
        sa.Column("bound_to", sa.String(64), nullable=True),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("challenge_hash", name="pk_webauthn_challenges"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_webauthn_challenges_user_id_users",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "purpose IN ('register', 'login', 'second_factor')",
            name="ck_webauthn_challenges_purpose",
        ),
    )
    op.create_index("ix_webauthn_challenges_expires_at", "webauthn_challenges", ["expires_at"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_webauthn_challenges_expires_at", "webauthn_challenges")
    op.drop_table("webauthn_challenges")
    op.drop_index("ix_webauthn_credentials_user_id", "webauthn_credentials")
    op.drop_table("webauthn_credentials")
