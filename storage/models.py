"""SQL tables for staff, login sessions, cases, case timelines, shifts, reservations
and case records (SQLAlchemy 2)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime

# Constraint names are fixed so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class StaffAccountRow(Base):
    __tablename__ = "staff_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    # Skills as written by ``str(Skill)``: "service/language".
    skills: Mapped[list[str]] = mapped_column(JSON)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(insert_default=_utc_now)


class LoginSessionRow(Base):
    __tablename__ = "login_sessions"
    __table_args__ = (Index(None, "expires_at"),)

    token_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    staff_id: Mapped[str] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class CaseRow(Base):
    __tablename__ = "cases"
    __table_args__ = (Index(None, "requested_at"), Index(None, "status"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    service: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime]
    offered_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    interpreter_id: Mapped[str | None] = mapped_column(String(32))
    end_reason: Mapped[str | None] = mapped_column(String(32))
    ended_by: Mapped[str | None] = mapped_column(String(16))
    # Kept alongside the times so statistics can aggregate without recomputing.
    wait_seconds: Mapped[float | None] = mapped_column(Double)
    handle_seconds: Mapped[float | None] = mapped_column(Double)

    # lazy="raise": async code must load the timeline explicitly (selectinload).
    events: Mapped[list[CaseEventRow]] = relationship(
        order_by="CaseEventRow.seq",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class CaseEventRow(Base):
    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    # SQLite only autoincrements an INTEGER primary key.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    # Position in the case's timeline, from 0; events are append-only.
    seq: Mapped[int]
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    staff_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)


class CaseMessageRow(Base):
    """One chat message of a case; (case_id, seq) orders the transcript."""

    __tablename__ = "case_messages"

    case_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    sender: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)


# Statuses of a reservation that hold the interpreter's time (ReservationStatus).
HOLDING_STATUSES = ("booked", "claimed")


def _no_overlap(name: str, where: str | None = None) -> ExcludeConstraint:
    """PostgreSQL refuses two rows of one staff member whose times overlap.

    Needs the btree_gist extension (``=`` on text in a GiST index); migration 0003
    creates it. SQLite has no such constraint: the repository serializes writers.
    """
    constraint = ExcludeConstraint(
        (literal_column("staff_id"), "="),
        (literal_column("tstzrange(start_at, end_at, '[)')"), "&&"),
        name=name,
        using="gist",
        where=None if where is None else text(where),
    )
    constraint.ddl_if(dialect="postgresql")
    return constraint


class ShiftRow(Base):
    """When a staff member works; reservations for them fit inside a shift."""

    __tablename__ = "staff_shifts"
    __table_args__ = (
        Index(None, "start_at"),
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        _no_overlap("ex_staff_shifts_no_overlap"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    staff_id: Mapped[str] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True
    )
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]


class ReservationRow(Base):
    """A slot booked with one interpreter; citizen_* and notes are personal data."""

    __tablename__ = "reservations"
    __table_args__ = (
        Index(None, "start_at"),
        Index(None, "status", "start_at"),
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        _no_overlap(
            "ex_reservations_no_overlap",
            "status IN ('" + "', '".join(HOLDING_STATUSES) + "')",
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    service: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    staff_id: Mapped[str] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="RESTRICT"), index=True
    )
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    # SHA-256 of the citizen's join token; the token itself is never stored.
    join_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    citizen_name: Mapped[str | None] = mapped_column(String(100))
    citizen_contact: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    booked_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    revision: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


# -- the counseling record (migration 0004) ------------------------------------------

# Staff search cases by interpreter.
Index("ix_cases_interpreter_id", CaseRow.interpreter_id)


class CaseWrapupRow(Base):
    """The interpreter's wrap-up of a case; ``summary`` is personal data."""

    __tablename__ = "case_wrapups"
    __table_args__ = (Index(None, "category"), Index(None, "disposition"))

    case_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str | None] = mapped_column(Text)
    disposition: Mapped[str] = mapped_column(String(16))
    forwarded_to: Mapped[str | None] = mapped_column(String(100))
    follow_up_owner: Mapped[str | None] = mapped_column(String(100))
    written_by: Mapped[str] = mapped_column(String(32))
    written_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CaseFeedbackRow(Base):
    """The citizen's satisfaction with a case, keyed by the SHA-256 of the one-time
    token in their link; ``comment`` is personal data."""

    __tablename__ = "case_feedback"
    __table_args__ = (
        CheckConstraint("score >= 1 AND score <= 5", name="score_1_to_5"),
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), unique=True
    )
    expires_at: Mapped[datetime]
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]


class CaseErasureRow(Base):
    """A case whose personal fields the retention period erased, and what went."""

    __tablename__ = "case_erasures"
    __table_args__ = (Index(None, "erased_at"),)

    case_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    erased_at: Mapped[datetime]
    messages: Mapped[int] = mapped_column(Integer)
    summary: Mapped[bool]
    comment: Mapped[bool]


class StaffCalendarFeedRow(Base):
    """The secret link of one staff member's calendar feed (its hash only)."""

    __tablename__ = "staff_calendar_feeds"

    staff_id: Mapped[str] = mapped_column(
        String(32),
        ForeignKey("staff_accounts.id", ondelete="CASCADE"),
        primary_key=True,
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


# -- recordings and the access audit (migration 0006) ---------------------------------

RECORDING_STATUSES = ("recording", "closed", "recovered", "deleted")


class RecordingRow(Base):
    """One participant track's sealed file; ``path`` is relative to the data folder."""

    __tablename__ = "recordings"
    __table_args__ = (
        Index(None, "case_id"),
        Index(None, "status"),
        CheckConstraint(
            "status IN ('" + "', '".join(RECORDING_STATUSES) + "')", name="status"
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"))
    party_role: Mapped[str] = mapped_column(String(16))
    party_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # audio, video, composite (0007)
    codec: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(255), unique=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)


class AccessAuditRow(Base):
    """Who read, played, downloaded or was refused a recording, and from where."""

    __tablename__ = "access_audit"
    __table_args__ = (Index(None, "at"), Index(None, "case_id"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime]
    staff_id: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[str | None] = mapped_column(String(32))
    recording_id: Mapped[str | None] = mapped_column(String(32))
    client_address: Mapped[str | None] = mapped_column(String(64))


# -- combined-video requests (migration 0008) ----------------------------------------

COMPOSITE_JOB_STATES = ("queued", "running", "done", "failed")
ACTIVE_JOB_STATES = "state IN ('queued', 'running')"


class CompositeJobRow(Base):
    """A request for a case's combined video and where it stands.

    At most one job per case is queued or running: the unique partial index
    ``uq_composite_jobs_active_case`` refuses a second one, on every process.
    The process running a job refreshes ``beat_at``; a job whose beat is old
    was left by a process that died."""

    __tablename__ = "composite_jobs"
    __table_args__ = (
        Index(None, "case_id"),
        Index(
            "uq_composite_jobs_active_case",
            "case_id",
            unique=True,
            postgresql_where=text(ACTIVE_JOB_STATES),
            sqlite_where=text(ACTIVE_JOB_STATES),
        ),
        CheckConstraint(
            "state IN ('" + "', '".join(COMPOSITE_JOB_STATES) + "')", name="state"
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    requested_by: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    beat_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))
    path: Mapped[str | None] = mapped_column(String(255))
    recording_id: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(String(40))  # a stable code
    message: Mapped[str | None] = mapped_column(String(200))  # plain, no personal data
