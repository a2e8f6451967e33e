"""Events carry their delivery summary (attempts, last attempt), so the events API filters without a join.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_events") as batch:
        batch.add_column(sa.Column("attempt_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_attempt_at", sa.DateTime(), nullable=True))
    op.create_index(
        "ix_webhook_events_scope_resource", "webhook_events", ["platform_id", "mode", "resource_key", "created_at"]
    )
    # The events attempted so far, counted from the attempts table.
    op.execute(
        "UPDATE webhook_events SET attempt_count = "
        "(SELECT count(*) FROM webhook_attempts WHERE webhook_attempts.event_id = webhook_events.id), "
        "last_attempt_at = "
        "(SELECT max(created_at) FROM webhook_attempts WHERE webhook_attempts.event_id = webhook_events.id)"
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_events_scope_resource", table_name="webhook_events")
    with op.batch_alter_table("webhook_events") as batch:
        batch.drop_column("last_attempt_at")
        batch.drop_column("attempt_count")
