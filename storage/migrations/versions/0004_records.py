"""The counseling record: wrap-ups, the citizen's satisfaction, retention erasures,
and cases found by interpreter.

Revision ID: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _case_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["case_id"], ["cases.id"], name=f"fk_{table}_case_id_cases", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_index("ix_cases_interpreter_id", "cases", ["interpreter_id"])
    op.create_table(
        "case_wrapups",
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("disposition", sa.String(16), nullable=False),
        sa.Column("forwarded_to", sa.String(100), nullable=True),
        sa.Column("follow_up_owner", sa.String(100), nullable=True),
        sa.Column("written_by", sa.String(32), nullable=False),
        sa.Column("written_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_case_wrapups"),
        _case_key("case_wrapups"),
    )
    op.create_index("ix_case_wrapups_category", "case_wrapups", ["category"])
    op.create_index("ix_case_wrapups_disposition", "case_wrapups", ["disposition"])
    op.create_table(
        "case_feedback",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("expires_at", _utc(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_case_feedback"),
        sa.UniqueConstraint("case_id", name="uq_case_feedback_case_id"),
        sa.CheckConstraint(
            "score >= 1 AND score <= 5", name="ck_case_feedback_score_1_to_5"
        ),
        _case_key("case_feedback"),
    )
    op.create_table(
        "case_erasures",
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("erased_at", _utc(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_case_erasures"),
        _case_key("case_erasures"),
    )
    op.create_index("ix_case_erasures_erased_at", "case_erasures", ["erased_at"])


def downgrade() -> None:
    op.drop_index("ix_case_erasures_erased_at", table_name="case_erasures")
    op.drop_table("case_erasures")
    op.drop_table("case_feedback")
    op.drop_index("ix_case_wrapups_disposition", table_name="case_wrapups")
    op.drop_index("ix_case_wrapups_category", table_name="case_wrapups")
    op.drop_table("case_wrapups")
    op.drop_index("ix_cases_interpreter_id", table_name="cases")
