"""External accounts and their status audit trail.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSONDocument = sa.JSON().with_variant(JSONB(), "postgresql")
Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "external_accounts",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("platform_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=True),
        sa.Column("owner_key", sa.String(64), nullable=False),
        sa.Column("account_type", sa.String(32), nullable=False),
        sa.Column("legacy_type", sa.String(32), nullable=True),
        sa.Column("currency", sa.String(10), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("platform_account_id", sa.String(255), nullable=True),
        sa.Column("ownership_type", sa.String(16), nullable=True),
        sa.Column("crypto_network", sa.String(32), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=True),
        sa.Column("verification_status", sa.String(32), nullable=True),
        sa.Column("verified_name", sa.String(255), nullable=True),
        sa.Column("primary_identifier", sa.String(512), nullable=False),
        sa.Column("account_info", JSONDocument, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_external_accounts"),
        sa.ForeignKeyConstraint(["platform_id"], ["platforms.id"], name="fk_external_accounts_platform_id_platforms"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_external_accounts_customer_id_customers"),
    )
    op.create_index(
        "ix_external_accounts_scope_created",
        "external_accounts",
        ["platform_id", "mode", "owner_key", "created_at", "id"],
    )
    op.create_index("ix_external_accounts_customer_created", "external_accounts", ["customer_id", "created_at", "id"])
    op.create_index(
        "uq_external_accounts_default",
        "external_accounts",
        ["customer_id"],
        unique=True,
        sqlite_where=sa.text("is_default AND deleted_at IS NULL"),
        postgresql_where=sa.text("is_default AND deleted_at IS NULL"),
    )
    op.create_index(
        "uq_external_accounts_live_destination",
        "external_accounts",
        ["platform_id", "mode", "owner_key", "account_type", "primary_identifier"],
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "external_account_status_changes",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("external_account_id", sa.String(64), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_external_account_status_changes"),
        sa.ForeignKeyConstraint(
            ["external_account_id"],
            ["external_accounts.id"],
            name="fk_external_account_status_changes_account",
        ),
    )
    op.create_index(
        "ix_external_account_status_changes_external_account_id",
        "external_account_status_changes",
        ["external_account_id"],
    )


def downgrade() -> None:
    op.drop_table("external_account_status_changes")
    op.drop_table("external_accounts")
