"""Customer identifiers are stored encrypted: widen the column for the envelope.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.alter_column("identifier", type_=sa.Text(), existing_type=sa.String(64), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.alter_column("identifier", type_=sa.String(64), existing_type=sa.Text(), existing_nullable=True)
