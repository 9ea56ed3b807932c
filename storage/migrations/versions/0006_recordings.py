"""Recordings (one sealed file per participant track) and the access audit.

Revision ID: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("party_role", sa.String(16), nullable=False),
        sa.Column("party_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("codec", sa.String(16), nullable=False),
        sa.Column("path", sa.String(255), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("ended_at", _utc(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recordings"),
        sa.UniqueConstraint("path", name="uq_recordings_path"),
        sa.CheckConstraint(
            "status IN ('recording', 'closed', 'recovered', 'deleted')",
            name="ck_recordings_status",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name="fk_recordings_case_id_cases",
            ondelete="RESTRICT",
        ),
    )
    op.create_index("ix_recordings_case_id", "recordings", ["case_id"])
    op.create_index("ix_recordings_status", "recordings", ["status"])
    op.create_table(
        "access_audit",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=True),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=True),
        sa.Column("recording_id", sa.String(32), nullable=True),
        sa.Column("client_address", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_access_audit"),
    )
    op.create_index("ix_access_audit_at", "access_audit", ["at"])
    op.create_index("ix_access_audit_case_id", "access_audit", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_access_audit_case_id", table_name="access_audit")
    op.drop_index("ix_access_audit_at", table_name="access_audit")
    op.drop_table("access_audit")
    op.drop_index("ix_recordings_status", table_name="recordings")
    op.drop_index("ix_recordings_case_id", table_name="recordings")
    op.drop_table("recordings")
