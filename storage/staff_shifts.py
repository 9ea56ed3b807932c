"""The SQL reservation book's staff side: interpreters' shifts, their calendar-feed
links and the list of interpreters. Mixed into ``SqlReservationBook``."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from counseling.departments import parse_skills
from counseling.reservations import (
    Interpreter,
    NotFound,
    Roster,
    Shift,
    ShiftHoldsReservations,
    ShiftOverlap,
    UnknownStaff,
    check_shift_change,
    stranded_by,
)
from counseling.staff import StaffRole
from storage.models import ShiftRow, StaffAccountRow, StaffCalendarFeedRow
from storage.types import require_aware

# PostgreSQL's SQLSTATE for an exclusion constraint violation.
_EXCLUSION_VIOLATION = "23P01"


def _read_shift(row: ShiftRow) -> Shift:
    return Shift(row.id, row.staff_id, row.start_at, row.end_at)


def _exclusion(exc: IntegrityError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == _EXCLUSION_VIOLATION


class StaffShifts:
    """The SqlReservationBook's shifts, calendar feeds and interpreter list."""

    if TYPE_CHECKING:
        _sessions: async_sessionmaker[AsyncSession]

        def _writing(self) -> AbstractAsyncContextManager[AsyncSession]: ...

        async def _roster(
            self, session: AsyncSession, start: datetime, end: datetime, tz_day: bool
        ) -> Roster: ...

    async def add_shift(self, shift: Shift, now: datetime) -> Shift:
        require_aware(now=now)
        try:
            async with self._writing() as session:
                staff = await session.get(StaffAccountRow, shift.staff_id)
                if staff is None or staff.role != StaffRole.INTERPRETER.value:
                    raise UnknownStaff(shift.staff_id)
                roster = await self._roster(session, shift.start, shift.end, False)
                check_shift_change(roster, shift, now)
                session.add(
                    ShiftRow(
                        id=shift.id,
                        staff_id=shift.staff_id,
                        start_at=shift.start,
                        end_at=shift.end,
                    )
                )
        except IntegrityError as exc:
            if _exclusion(exc):
                raise ShiftOverlap(None) from None
            raise
        return shift

    async def change_shift(
        self, shift_id: str, start: datetime, end: datetime, now: datetime
    ) -> Shift:
        require_aware(now=now)
        try:
            async with self._writing() as session:
                row = await session.get(ShiftRow, shift_id)
                if row is None:
                    raise NotFound("shift", shift_id)
                old = _read_shift(row)
                new = Shift(shift_id, old.staff_id, start, end)
                span_start, span_end = min(old.start, new.start), max(old.end, new.end)
                roster = await self._roster(session, span_start, span_end, False)
                check_shift_change(roster, new, now, replacing=old)
                row.start_at, row.end_at = new.start, new.end
        except IntegrityError as exc:
            if _exclusion(exc):
                raise ShiftOverlap(None) from None
            raise
        return new

    async def remove_shift(self, shift_id: str, now: datetime) -> Shift:
        require_aware(now=now)
        async with self._writing() as session:
            row = await session.get(ShiftRow, shift_id)
            if row is None:
                raise NotFound("shift", shift_id)
            old = _read_shift(row)
            roster = await self._roster(session, old.start, old.end, False)
            stranded = stranded_by(roster, old, None, now)
            if stranded:
                raise ShiftHoldsReservations([r.id for r in stranded])
            await session.delete(row)
        return old

    async def shifts(
        self, start: datetime, end: datetime, staff_id: str | None = None
    ) -> Sequence[Shift]:
        require_aware(start=start, end=end)
        where = [ShiftRow.start_at < end, ShiftRow.end_at > start]
        if staff_id is not None:
            where.append(ShiftRow.staff_id == staff_id)
        query = (
            select(ShiftRow)
            .where(and_(*where))
            .order_by(ShiftRow.start_at, ShiftRow.id)
        )
        async with self._sessions.begin() as session:
            return [_read_shift(row) for row in await session.scalars(query)]

    async def set_feed_token(
        self, staff_id: str, token_hash: str, now: datetime
    ) -> None:
        require_aware(now=now)
        async with self._sessions.begin() as session:
            if await session.get(StaffAccountRow, staff_id) is None:
                raise UnknownStaff(staff_id)
            await session.execute(
                delete(StaffCalendarFeedRow).where(
                    StaffCalendarFeedRow.staff_id == staff_id
                )
            )
            session.add(
                StaffCalendarFeedRow(
                    staff_id=staff_id, token_hash=token_hash, created_at=now
                )
            )

    async def staff_for_feed(self, token_hash: str) -> str | None:
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(StaffCalendarFeedRow).where(
                    StaffCalendarFeedRow.token_hash == token_hash
                )
            )
            return None if row is None else row.staff_id

    async def interpreters(self) -> Sequence[Interpreter]:
        query = (
            select(StaffAccountRow)
            .where(StaffAccountRow.role == StaffRole.INTERPRETER.value)
            .order_by(StaffAccountRow.display_name, StaffAccountRow.id)
        )
        async with self._sessions.begin() as session:
            return [
                Interpreter(
                    row.id,
                    row.display_name,
                    parse_skills(row.skills)[0],
                )
                for row in await session.scalars(query)
            ]
