"""Jobs: the due-jobs index covers the claim order (status, run_at, seq).

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # With seq in the index, a claim reads due jobs in order and stops at its limit instead of
    # sorting the whole backlog on every claim.
    op.drop_index("ix_jobs_status_run_at", table_name="jobs")
    op.create_index("ix_jobs_status_run_at_seq", "jobs", ["status", "run_at", "seq"])


def downgrade() -> None:
    op.drop_index("ix_jobs_status_run_at_seq", table_name="jobs")
    op.create_index("ix_jobs_status_run_at", "jobs", ["status", "run_at"])
