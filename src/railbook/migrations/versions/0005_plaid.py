"""Plaid Link sessions and Items.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plaid_link_sessions",
        sa.Column("link_token", sa.String(128), nullable=False),
        sa.Column("platform_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("external_account_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("link_token", name="pk_plaid_link_sessions"),
        sa.ForeignKeyConstraint(["platform_id"], ["platforms.id"], name="fk_plaid_link_sessions_platform_id_platforms"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_plaid_link_sessions_customer_id_customers"),
    )
    op.create_table(
        "plaid_items",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("external_account_id", sa.String(64), nullable=False),
        sa.Column("item_id", sa.String(128), nullable=False),
        sa.Column("plaid_account_id", sa.String(128), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_plaid_items"),
        sa.ForeignKeyConstraint(
            ["external_account_id"], ["external_accounts.id"], name="fk_plaid_items_external_account_id"
        ),
        sa.UniqueConstraint("external_account_id", name="uq_plaid_items_external_account_id"),
    )


def downgrade() -> None:
    op.drop_table("plaid_items")
    op.drop_table("plaid_link_sessions")
