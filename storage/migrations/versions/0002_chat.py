"""Chat transcripts: every message of a case, in order, never changed.

Revision ID: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_messages",
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("sender_id", sa.String(32), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "seq", name="pk_case_messages"),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name="fk_case_messages_case_id_cases",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("case_messages")
