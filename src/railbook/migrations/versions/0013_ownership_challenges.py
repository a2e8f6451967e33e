"""Ownership challenges of self-custody wallets (signature and liveness proofs).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ownership_challenges",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("external_account_id", sa.String(64), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("session_digest", sa.String(64), nullable=True),
        sa.Column("session_sealed", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("signature_digest", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ownership_challenges"),
        sa.ForeignKeyConstraint(
            ["external_account_id"],
            ["external_accounts.id"],
            name="fk_ownership_challenges_external_account_id_external_accounts",
        ),
        sa.UniqueConstraint("session_digest", name="uq_ownership_challenges_session_digest"),
    )
    op.create_index("ix_ownership_challenges_external_account_id", "ownership_challenges", ["external_account_id"])
    op.create_index(
        "uq_ownership_challenges_open",
        "ownership_challenges",
        ["external_account_id"],
        unique=True,
        sqlite_where=sa.text("state = 'OPEN'"),
        postgresql_where=sa.text("state = 'OPEN'"),
    )


def downgrade() -> None:
    op.drop_index("uq_ownership_challenges_open", table_name="ownership_challenges")
    op.drop_index("ix_ownership_challenges_external_account_id", table_name="ownership_challenges")
    op.drop_table("ownership_challenges")
