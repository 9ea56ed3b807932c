"""Reservations and staff shifts; on PostgreSQL no staff member's rows may overlap.

Revision ID: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


# GiST has no "=" on text of its own: btree_gist adds it. The extension goes in
# `public` (trusted since PostgreSQL 13, so a database owner may create it); the
# constraints find its operator classes as the defaults for text, whatever the
# search_path of the connection.
_EXCLUDE = (
    "ALTER TABLE {table} ADD CONSTRAINT {name} EXCLUDE USING gist "
    "(staff_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&){where}"
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public")
    op.create_table(
        "staff_shifts",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("start_at", _utc(), nullable=False),
        sa.Column("end_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_staff_shifts"),
        sa.CheckConstraint(
            "end_at > start_at", name="ck_staff_shifts_ends_after_start"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_accounts.id"],
            name="fk_staff_shifts_staff_id_staff_accounts",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_staff_shifts_start_at", "staff_shifts", ["start_at"])
    op.create_index("ix_staff_shifts_staff_id", "staff_shifts", ["staff_id"])
    op.create_table(
        "reservations",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("start_at", _utc(), nullable=False),
        sa.Column("end_at", _utc(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("join_token_hash", sa.String(64), nullable=False),
        sa.Column("citizen_name", sa.String(100), nullable=True),
        sa.Column("citizen_contact", sa.String(100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("booked_by", sa.String(32), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("claimed_at", _utc(), nullable=True),
        sa.Column("closed_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reservations"),
        sa.UniqueConstraint("join_token_hash", name="uq_reservations_join_token_hash"),
        sa.CheckConstraint(
            "end_at > start_at", name="ck_reservations_ends_after_start"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_accounts.id"],
            name="fk_reservations_staff_id_staff_accounts",
            ondelete="RESTRICT",
        ),
    )
    op.create_index("ix_reservations_start_at", "reservations", ["start_at"])
    op.create_index(
        "ix_reservations_status_start_at", "reservations", ["status", "start_at"]
    )
    op.create_index("ix_reservations_staff_id", "reservations", ["staff_id"])
    if postgres:
        op.execute(
            _EXCLUDE.format(
                table="staff_shifts", name="ex_staff_shifts_no_overlap", where=""
            )
        )
        op.execute(
            _EXCLUDE.format(
                table="reservations",
                name="ex_reservations_no_overlap",
                where=" WHERE (status IN ('booked', 'claimed'))",
            )
        )


def downgrade() -> None:
    op.drop_index("ix_reservations_staff_id", table_name="reservations")
    op.drop_index("ix_reservations_status_start_at", table_name="reservations")
    op.drop_index("ix_reservations_start_at", table_name="reservations")
    op.drop_table("reservations")
    op.drop_index("ix_staff_shifts_staff_id", table_name="staff_shifts")
    op.drop_index("ix_staff_shifts_start_at", table_name="staff_shifts")
    op.drop_table("staff_shifts")
