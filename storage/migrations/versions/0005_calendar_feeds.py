"""Staff calendar feeds: a secret link per interpreter that calendar apps subscribe
to (they cannot send the sign-in cookie).

Revision ID: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_calendar_feeds",
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_accounts.id"],
            name="fk_staff_calendar_feeds_staff_id_staff_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("staff_id", name="pk_staff_calendar_feeds"),
        sa.UniqueConstraint("token_hash", name="uq_staff_calendar_feeds_token_hash"),
    )


def downgrade() -> None:
    op.drop_table("staff_calendar_feeds")
