"""A Plaid link session is claimed by the callback working on it, so concurrent calls never exchange twice.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plaid_link_sessions") as batch:
        batch.add_column(sa.Column("claimed_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plaid_link_sessions") as batch:
        batch.drop_column("claimed_until")
