"""Plaid Items kept between a callback's exchange and its success: a pending Item belongs to its link token.

Revision ID: 0009
Revises: 0008

A callback that fails after the exchange (a wrong accountId) keeps the Item, so the same public token
can be sent again; until an account is created the row has no external account, only its link token
and a digest of the public token it was exchanged from.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plaid_items") as batch:
        batch.alter_column("external_account_id", existing_type=sa.String(64), nullable=True)
        batch.alter_column("plaid_account_id", existing_type=sa.String(128), nullable=True)
        batch.add_column(sa.Column("link_token", sa.String(128), nullable=True))
        batch.add_column(sa.Column("public_token_digest", sa.String(64), nullable=True))
        batch.create_index("ix_plaid_items_link_token", ["link_token"])


def downgrade() -> None:
    op.execute("DELETE FROM plaid_items WHERE external_account_id IS NULL")
    with op.batch_alter_table("plaid_items") as batch:
        batch.drop_index("ix_plaid_items_link_token")
        batch.drop_column("public_token_digest")
        batch.drop_column("link_token")
        batch.alter_column("plaid_account_id", existing_type=sa.String(128), nullable=False)
        batch.alter_column("external_account_id", existing_type=sa.String(64), nullable=False)
