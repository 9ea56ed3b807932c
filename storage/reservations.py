"""The SQL reservation book: reservations and staff shifts on SQLite or PostgreSQL.

Every change runs in one serialized transaction: SQLite's ``BEGIN IMMEDIATE`` (one
writer at a time), PostgreSQL's transaction advisory lock. PostgreSQL's exclusion
constraints refuse overlapping rows even from writers that skip the lock. The
staff side (shifts, calendar feeds, the interpreter list) is in staff_shifts.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy import and_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from counseling.departments import parse_skills
from counseling.hours import ServiceHours
from counseling.reservations import (
    HISTORY,
    NO_SHOW_AFTER,
    CitizenDetails,
    InvalidField,
    JoinClaim,
    JoinTokenUnknown,
    NotFound,
    Reservation,
    ReservationStatus,
    Roster,
    SlotRequest,
    SlotTaken,
    free_slots,
    join_token_hash,
    local_day_bounds,
    place,
)
from counseling.services import Language, Service, Skill
from counseling.staff import StaffRole
from storage.database import Database
from storage.models import HOLDING_STATUSES, ReservationRow, ShiftRow, StaffAccountRow
from storage.staff_shifts import StaffShifts, _exclusion, _read_shift
from storage.types import require_aware

# Any fixed number, distinct from the migration lock's.
_WRITE_LOCK_KEY = 0x0DA5A_0003
_DAY = timedelta(days=1)


def _read(row: ReservationRow) -> Reservation:
    return Reservation(
        id=row.id,
        skill=Skill(Service(row.service), Language(row.language)),
        staff_id=row.staff_id,
        start=row.start_at,
        end=row.end_at,
        status=ReservationStatus(row.status),
        join_token_hash=row.join_token_hash,
        citizen=CitizenDetails(row.citizen_name, row.citizen_contact, row.notes),
        booked_by=row.booked_by,
        created_at=row.created_at,
        revision=row.revision,
        claimed_at=row.claimed_at,
        closed_at=row.closed_at,
    )


def _write(row: ReservationRow, r: Reservation) -> None:
    row.service = r.skill.service.value
    row.language = r.skill.language.value
    row.staff_id = r.staff_id
    row.start_at = r.start
    row.end_at = r.end
    row.status = r.status.value
    row.join_token_hash = r.join_token_hash
    row.citizen_name = r.citizen.name
    row.citizen_contact = r.citizen.contact
    row.notes = r.citizen.notes
    row.booked_by = r.booked_by
    row.created_at = r.created_at
    row.revision = r.revision
    row.claimed_at = r.claimed_at
    row.closed_at = r.closed_at


class SqlReservationBook(StaffShifts):
    """``counseling.ports.ReservationBook`` on the service's SQL database."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._postgres = db.engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        """A transaction no other writer of reservations or shifts interleaves with."""
        async with self._sessions.begin() as session:
            if self._postgres:
                await session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITE_LOCK_KEY}
                )
            else:
                # pysqlite starts no transaction before this statement, so it opens
                # one that holds SQLite's write lock from the start.
                await session.execute(text("BEGIN IMMEDIATE"))
            yield session

    async def _roster(
        self, session: AsyncSession, start: datetime, end: datetime, tz_day: bool
    ) -> Roster:
        """Interpreters, their shifts overlapping the span, and the slots they hold
        from HISTORY before it (for the automatic choice) to its end."""
        staff = await session.scalars(
            select(StaffAccountRow).where(
                StaffAccountRow.role == StaffRole.INTERPRETER.value
            )
        )
        interpreters = {row.id: parse_skills(row.skills)[0] for row in staff}
        shifts = await session.scalars(
            select(ShiftRow).where(ShiftRow.start_at < end, ShiftRow.end_at > start)
        )
        since = start - HISTORY
        until = end + _DAY if tz_day else end
        held = await session.scalars(
            select(ReservationRow).where(
                ReservationRow.status.in_(HOLDING_STATUSES),
                ReservationRow.start_at < until,
                ReservationRow.end_at > since,
            )
        )
        return Roster(
            interpreters, [_read_shift(s) for s in shifts], [_read(r) for r in held]
        )

    async def _row(self, session: AsyncSession, reservation_id: str) -> ReservationRow:
        row = await session.get(ReservationRow, reservation_id)
        if row is None:
            raise NotFound("reservation", reservation_id)
        return row

    async def book(
        self,
        reservation_id: str,
        request: SlotRequest,
        citizen: CitizenDetails,
        token_hash: str,
        booked_by: str | None,
        now: datetime,
        hours: ServiceHours,
    ) -> Reservation:
        require_aware(now=now)
        try:
            async with self._writing() as session:
                roster = await self._roster(
                    session, request.start, request.end, tz_day=True
                )
                staff_id = place(request, roster, now, hours)
                reservation = Reservation(
                    id=reservation_id,
                    skill=request.skill,
                    staff_id=staff_id,
                    start=request.start,
                    end=request.end,
                    status=ReservationStatus.BOOKED,
                    join_token_hash=token_hash,
                    citizen=citizen,
                    booked_by=booked_by,
                    created_at=now,
                )
                row = ReservationRow(id=reservation_id)
                _write(row, reservation)
                session.add(row)
        except IntegrityError as exc:
            if _exclusion(exc):
                raise SlotTaken(None) from None
            raise
        return reservation

    async def move(
        self,
        reservation_id: str,
        request: SlotRequest,
        now: datetime,
        hours: ServiceHours,
    ) -> Reservation:
        require_aware(now=now)
        try:
            async with self._writing() as session:
                row = await self._row(session, reservation_id)
                current = _read(row)
                current.ensure_changeable()
                if current.skill != request.skill:
                    raise InvalidField("service", "a move keeps the service")
                roster = await self._roster(
                    session, request.start, request.end, tz_day=True
                )
                staff_id = place(
                    request,
                    roster,
                    now,
                    hours,
                    ignore=reservation_id,
                    prefer=current.staff_id,
                )
                moved = current.moved(staff_id, request.start, request.end)
                _write(row, moved)
        except IntegrityError as exc:
            if _exclusion(exc):
                raise SlotTaken(None) from None
            raise
        return moved

    async def cancel(self, reservation_id: str, now: datetime) -> Reservation:
        require_aware(now=now)
        async with self._writing() as session:
            row = await self._row(session, reservation_id)
            cancelled = _read(row).cancelled(now)
            _write(row, cancelled)
        return cancelled

    async def reissue_token(self, reservation_id: str, token_hash: str) -> Reservation:
        async with self._writing() as session:
            row = await self._row(session, reservation_id)
            changed = _read(row).with_token_hash(token_hash)
            _write(row, changed)
        return changed

    async def get(self, reservation_id: str) -> Reservation | None:
        async with self._sessions.begin() as session:
            row = await session.get(ReservationRow, reservation_id)
            return None if row is None else _read(row)

    async def by_token(self, token: str) -> Reservation | None:
        query = select(ReservationRow).where(
            ReservationRow.join_token_hash == join_token_hash(token)
        )
        async with self._sessions.begin() as session:
            row = (await session.scalars(query)).first()
            return None if row is None else _read(row)

    async def between(
        self, start: datetime, end: datetime, staff_id: str | None = None
    ) -> Sequence[Reservation]:
        require_aware(start=start, end=end)
        where = [ReservationRow.start_at < end, ReservationRow.end_at > start]
        if staff_id is not None:
            where.append(ReservationRow.staff_id == staff_id)
        query = (
            select(ReservationRow)
            .where(and_(*where))
            .order_by(ReservationRow.start_at, ReservationRow.id)
        )
        async with self._sessions.begin() as session:
            return [_read(row) for row in await session.scalars(query)]

    async def claim(self, token: str, now: datetime) -> JoinClaim:
        require_aware(now=now)
        query = select(ReservationRow).where(
            ReservationRow.join_token_hash == join_token_hash(token)
        )
        async with self._writing() as session:
            row = (await session.scalars(query)).first()
            if row is None:
                raise JoinTokenUnknown
            current = _read(row)
            claimed = current.claimed(now)
            _write(row, claimed)
        return JoinClaim(claimed, first=current.claimed_at is None)

    async def release_no_shows(self, now: datetime) -> Sequence[Reservation]:
        require_aware(now=now)
        query = (
            update(ReservationRow)
            .where(
                ReservationRow.status == ReservationStatus.BOOKED.value,
                ReservationRow.start_at <= now - NO_SHOW_AFTER,
            )
            .values(status=ReservationStatus.NO_SHOW.value, closed_at=now)
            .returning(ReservationRow)
        )
        async with self._writing() as session:
            rows = (await session.scalars(query)).all()
            released = [_read(row) for row in rows]
        return sorted(released, key=lambda r: (r.start, r.id))

    async def free_slots(
        self, skill: Skill, now: datetime, hours: ServiceHours, count: int
    ) -> Sequence[tuple[datetime, datetime]]:
        require_aware(now=now)
        start, end = local_day_bounds(now, 16, hours.tz)
        async with self._sessions.begin() as session:
            roster = await self._roster(session, start, end, tz_day=False)
        return free_slots(skill, roster, now, hours, count=count)
