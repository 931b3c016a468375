"""Second factors (DESIGN §13): TOTP factors, recovery codes, MFA challenges, session auth time.

* ``totp_factors``: one per user; the secret sealed with the server secret (purpose "totp
  secret", bound to the user id), ``confirmed_at`` NULL until a first code proved the
  enrolment, ``last_used_step`` the RFC 6238 time step last accepted (a code is used once),
  ``pending_attempt`` the login attempt an enrolment forced by the MFA policy belongs to.
* ``recovery_codes``: SHA-256 of each code, ``used_at`` once spent.
* ``mfa_challenges``: the ``mfa_token`` of a login (or re-authentication) between its first
  and its second factor: SHA-256 only, 5 minutes, single use, bound to the attempt.
* ``sessions.auth_time``: when the user last proved who they are in this session (a
  re-authentication moves it); NULL means ``created_at``.

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the three tables; add ``sessions.auth_time``."""
    op.create_table(
        "totp_factors",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("secret_nonce", sa.LargeBinary, nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("confirmed_at", sa.Double, nullable=True),
        sa.Column("last_used_step", sa.BigInteger, nullable=True),
        sa.Column("pending_attempt", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name="pk_totp_factors"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_totp_factors_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("used_at", sa.Double, nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name="pk_recovery_codes"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_recovery_codes_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_recovery_codes_user_id", "recovery_codes", ["user_id"])
    op.create_table(
        "mfa_challenges",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("session_id", sa.String(32), nullable=True),
        sa.Column("refresh_delivery", sa.String(8), nullable=True),
        sa.Column("delivery", sa.String(8), nullable=False),
        sa.Column("first_amr", sa.JSON, nullable=False),
        sa.Column("enrollment", sa.Boolean, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.Column("used_at", sa.Double, nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_mfa_challenges"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_mfa_challenges_user_id_users", ondelete="CASCADE"
        ),
        sa.CheckConstraint(
            "purpose IN ('login', 'reauth', 'authorize')", name="ck_mfa_challenges_purpose"
        ),
    )
    op.create_index("ix_mfa_challenges_user_id", "mfa_challenges", ["user_id"])
    op.create_index("ix_mfa_challenges_expires_at", "mfa_challenges", ["expires_at"])
    op.add_column("sessions", sa.Column("auth_time", sa.Double, nullable=True))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("auth_time")
    op.drop_index("ix_mfa_challenges_expires_at", "mfa_challenges")
    op.drop_index("ix_mfa_challenges_user_id", "mfa_challenges")
    op.drop_table("mfa_challenges")
    op.drop_index("ix_recovery_codes_user_id", "recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_table("totp_factors")
