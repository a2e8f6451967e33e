"""Operators of the console (argon2 password hashes), the actions they take, and the review queue's index.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_operators"),
        sa.UniqueConstraint("name", name="uq_operators_name"),
    )
    op.create_table(
        "operator_actions",
        sa.Column("seq", Seq, autoincrement=True, nullable=False),
        sa.Column("operator_name", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_operator_actions"),
    )
    # The console's review queue: the few accounts waiting, oldest first, among every account stored.
    op.create_index("ix_external_accounts_status_created", "external_accounts", ["status", "created_at", "id"])
    # An account's page lists its webhook events (any platform: operators act across tenants).
    op.create_index("ix_webhook_events_resource_created", "webhook_events", ["resource_key", "created_at"])
    with op.batch_alter_table("operators") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_index("ix_webhook_events_resource_created", table_name="webhook_events")
    op.drop_index("ix_external_accounts_status_created", table_name="external_accounts")
    op.drop_table("operator_actions")
    op.drop_table("operators")
