"""Live external accounts counted per platform, mode, side and currency, for exact list totals; an index
for a whole side's list in creation order.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

Count = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "external_account_counts",
        sa.Column("platform_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("side", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(10), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("live", Count, nullable=False),
        sa.PrimaryKeyConstraint("platform_id", "mode", "side", "currency", "shard", name="pk_external_account_counts"),
    )
    # A whole side's list (owner_key != 'platform', or every currency) walks this in order and stops
    # at a page, where the (owner_key, created_at) index made it read and sort every row.
    op.create_index(
        "ix_external_accounts_platform_created", "external_accounts", ["platform_id", "mode", "created_at", "id"]
    )
    # What is stored already, counted once into shard 0.
    op.execute(
        "INSERT INTO external_account_counts (platform_id, mode, side, currency, shard, live) "
        "SELECT platform_id, mode, CASE WHEN owner_key = 'platform' THEN 'platform' ELSE 'customer' END, "
        "currency, 0, count(*) FROM external_accounts WHERE deleted_at IS NULL "
        "GROUP BY platform_id, mode, CASE WHEN owner_key = 'platform' THEN 'platform' ELSE 'customer' END, currency"
    )


def downgrade() -> None:
    op.drop_index("ix_external_accounts_platform_created", table_name="external_accounts")
    op.drop_table("external_account_counts")
