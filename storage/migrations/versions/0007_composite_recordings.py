"""A recording's kind may be ``composite`` (a whole session in one video).

Revision ID: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite rebuilds the table, PostgreSQL alters the column.
    with op.batch_alter_table("recordings") as batch:
        batch.alter_column(
            "kind",
            existing_type=sa.String(8),
            type_=sa.String(16),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.alter_column(
            "kind",
            existing_type=sa.String(16),
            type_=sa.String(8),
            existing_nullable=False,
        )
