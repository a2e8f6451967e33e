"""Idempotency keys and stablecoin provider account links.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("platform_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_idempotency_keys"),
        sa.UniqueConstraint("platform_id", "mode", "key", name="uq_idempotency_keys_platform_id"),
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"])
    op.create_table(
        "stablecoin_provider_accounts",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("platform_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("provider_account_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("credentials", sa.Text(), nullable=True),
        sa.Column("last_verified_at", sa.DateTime(), nullable=True),
        sa.Column("next_check_at", sa.DateTime(), nullable=True),
        sa.Column("status_reason", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stablecoin_provider_accounts"),
        sa.ForeignKeyConstraint(
            ["platform_id"], ["platforms.id"], name="fk_stablecoin_provider_accounts_platform_id_platforms"
        ),
    )
    op.create_index(
        "uq_stablecoin_provider_accounts_live",
        "stablecoin_provider_accounts",
        ["platform_id", "mode", "provider", "provider_account_id"],
        unique=True,
        sqlite_where=sa.text("status != 'REVOKED'"),
        postgresql_where=sa.text("status != 'REVOKED'"),
    )
    op.create_index(
        "ix_stablecoin_provider_accounts_list",
        "stablecoin_provider_accounts",
        ["platform_id", "mode", "created_at", "id"],
    )
    op.create_index("ix_stablecoin_provider_accounts_next_check_at", "stablecoin_provider_accounts", ["next_check_at"])


def downgrade() -> None:
    op.drop_table("stablecoin_provider_accounts")
    op.drop_table("idempotency_keys")
