"""Combined-video requests kept in the database, so every process answers for them
and a restart does not lose them.

Revision ID: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "state IN ('queued', 'running')"


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "composite_jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("requested_by", sa.String(32), nullable=False),
        sa.Column("requested_at", _utc(), nullable=False),
        sa.Column("started_at", _utc(), nullable=True),
        sa.Column("finished_at", _utc(), nullable=True),
        sa.Column("beat_at", _utc(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("path", sa.String(255), nullable=True),
        sa.Column("recording_id", sa.String(32), nullable=True),
        sa.Column("error", sa.String(40), nullable=True),
        sa.Column("message", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_composite_jobs"),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed')",
            name="ck_composite_jobs_state",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name="fk_composite_jobs_case_id_cases",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_composite_jobs_case_id", "composite_jobs", ["case_id"])
    # One queued or running job per case, whichever process inserts it.
    op.create_index(
        "uq_composite_jobs_active_case",
        "composite_jobs",
        ["case_id"],
        unique=True,
        postgresql_where=sa.text(ACTIVE),
        sqlite_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_composite_jobs_active_case", table_name="composite_jobs")
    op.drop_index("ix_composite_jobs_case_id", table_name="composite_jobs")
    op.drop_table("composite_jobs")
