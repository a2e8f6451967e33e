"""Webhook endpoints: the URL and signing key pair move from platform_environments to their own table.

Revision ID: 0008
Revises: 0007

Each endpoint keeps its environment's id, which is the associated data of its encrypted signing key.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("platform_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("signing_key", sa.Text(), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["platform_id"], ["platforms.id"], name="fk_webhook_endpoints_platform_id_platforms"),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_endpoints"),
        sa.UniqueConstraint("platform_id", "mode", name="uq_webhook_endpoints_platform_mode"),
    )
    op.execute(
        "INSERT INTO webhook_endpoints (id, platform_id, mode, url, signing_key, public_key_pem, created_at, updated_at)"
        " SELECT id, platform_id, mode, webhook_endpoint, signing_key, public_key_pem, created_at, updated_at"
        " FROM platform_environments"
    )
    with op.batch_alter_table("platform_environments") as batch:
        batch.drop_column("webhook_endpoint")
        batch.drop_column("signing_key")
        batch.drop_column("public_key_pem")


def downgrade() -> None:
    with op.batch_alter_table("platform_environments") as batch:
        batch.add_column(sa.Column("webhook_endpoint", sa.Text(), nullable=True))
        batch.add_column(sa.Column("signing_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("public_key_pem", sa.Text(), nullable=True))
    op.execute(
        "UPDATE platform_environments SET"
        " webhook_endpoint = (SELECT url FROM webhook_endpoints e WHERE e.id = platform_environments.id),"
        " signing_key = (SELECT signing_key FROM webhook_endpoints e WHERE e.id = platform_environments.id),"
        " public_key_pem = (SELECT public_key_pem FROM webhook_endpoints e WHERE e.id = platform_environments.id)"
    )
    op.drop_table("webhook_endpoints")
