"""Foundation: platforms, API tokens, instance keys, customers.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSONDocument = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "platforms",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_platforms"),
        sa.UniqueConstraint("name", name="uq_platforms_name"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("platform_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.ForeignKeyConstraint(["platform_id"], ["platforms.id"], name="fk_api_tokens_platform_id_platforms"),
    )
    op.create_index("ix_api_tokens_platform_id", "api_tokens", ["platform_id"])
    op.create_table(
        "instance_keys",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_instance_keys"),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("platform_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("customer_type", sa.String(16), nullable=False),
        sa.Column("platform_customer_id", sa.String(255), nullable=False),
        sa.Column("uma_address", sa.String(255), nullable=False),
        sa.Column("region", sa.String(2), nullable=True),
        sa.Column("currencies", sa.String(600), nullable=True),
        sa.Column("verification_status", sa.String(16), nullable=False),
        sa.Column("profile", JSONDocument, nullable=False),
        sa.Column("identifier", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
        sa.ForeignKeyConstraint(["platform_id"], ["platforms.id"], name="fk_customers_platform_id_platforms"),
    )
    op.create_index("ix_customers_scope_created", "customers", ["platform_id", "mode", "created_at", "id"])
    for name, column in (
        ("uq_customers_live_platform_customer_id", "platform_customer_id"),
        ("uq_customers_live_uma_address", "uma_address"),
    ):
        op.create_index(
            name,
            "customers",
            ["platform_id", "mode", column],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )


def downgrade() -> None:
    op.drop_table("customers")
    op.drop_table("instance_keys")
    op.drop_table("api_tokens")
    op.drop_table("platforms")
