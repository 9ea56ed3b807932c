"""The booking rules: a slot inside service hours and a qualified interpreter's
shift, free of overlaps; who takes it; which shift changes are allowed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo

from counseling.hours import ServiceHours
from counseling.reservation_errors import (
    NoInterpreterFree,
    NotQualified,
    OutsideServiceHours,
    OutsideShift,
    ShiftHoldsReservations,
    ShiftOverlap,
    SlotTaken,
    StartInPast,
    TooFarAhead,
    UnknownStaff,
)
from counseling.reservation_terms import BOOKING_HORIZON
from counseling.reservation_values import Reservation, Shift, SlotRequest
from counseling.services import Skill

_EARLIEST = datetime.min.replace(tzinfo=UTC)


def in_service_hours(
    hours: ServiceHours, skill: Skill, start: datetime, end: datetime
) -> bool:
    """Open at ``start`` and without a break until ``end``."""
    if not hours.is_open(skill.service, start):
        return False
    closes = hours.next_close(skill.service, start)
    return closes is None or end <= closes


def check_slot(request: SlotRequest, now: datetime, hours: ServiceHours) -> None:
    """The rules that need no staff: not past, not too far, inside service hours."""
    if request.start < now:
        raise StartInPast
    if request.start > now + BOOKING_HORIZON:
        raise TooFarAhead
    if not in_service_hours(hours, request.skill, request.start, request.end):
        raise OutsideServiceHours(request.skill)


@dataclass(frozen=True, slots=True)
class Roster:
    """Who can take reservations, when they work, and what they already hold.

    ``interpreters`` maps staff id to skills; reservations that do not hold a slot
    (cancelled, no-show) are ignored.
    """

    interpreters: Mapping[str, frozenset[Skill]]
    shifts: Sequence[Shift] = ()
    reservations: Sequence[Reservation] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "interpreters", MappingProxyType(dict(self.interpreters))
        )
        object.__setattr__(self, "shifts", tuple(self.shifts))
        held = tuple(r for r in self.reservations if r.status.holds_slot)
        object.__setattr__(self, "reservations", held)

    def on_shift(self, staff_id: str, start: datetime, end: datetime) -> bool:
        return any(s.staff_id == staff_id and s.covers(start, end) for s in self.shifts)

    def conflict(
        self, staff_id: str, start: datetime, end: datetime, ignore: str | None = None
    ) -> Reservation | None:
        """The first reservation of ``staff_id`` overlapping the slot, if any."""
        for r in self.reservations:
            if r.staff_id == staff_id and r.id != ignore and r.overlaps(start, end):
                return r
        return None

    def available(
        self,
        staff_id: str,
        skill: Skill,
        start: datetime,
        end: datetime,
        ignore: str | None = None,
    ) -> bool:
        return (
            skill in self.interpreters.get(staff_id, frozenset())
            and self.on_shift(staff_id, start, end)
            and self.conflict(staff_id, start, end, ignore) is None
        )

    def choose(
        self,
        skill: Skill,
        start: datetime,
        end: datetime,
        tz: ZoneInfo,
        ignore: str | None = None,
    ) -> str | None:
        """The qualified interpreter, on shift and free, with the fewest bookings on
        that local day, then the longest since their last booking ended."""
        day = start.astimezone(tz).date()
        free = [
            staff_id
            for staff_id in sorted(self.interpreters)
            if self.available(staff_id, skill, start, end, ignore)
        ]
        if not free:
            return None

        def load(staff_id: str) -> tuple[int, datetime, str]:
            mine = [
                r
                for r in self.reservations
                if r.staff_id == staff_id and r.id != ignore
            ]
            same_day = sum(r.start.astimezone(tz).date() == day for r in mine)
            last = max((r.end for r in mine if r.end <= start), default=_EARLIEST)
            return same_day, last, staff_id

        return min(free, key=load)


def place(
    request: SlotRequest,
    roster: Roster,
    now: datetime,
    hours: ServiceHours,
    *,
    ignore: str | None = None,
    prefer: str | None = None,
) -> str:
    """The staff id that takes ``request``; raises the first rule it breaks.

    ``ignore`` is the reservation being moved (it does not conflict with itself);
    ``prefer`` keeps its interpreter when they can still take the new slot.
    """
    check_slot(request, now, hours)
    start, end, skill = request.start, request.end, request.skill
    staff_id = request.staff_id
    if staff_id is not None:
        skills = roster.interpreters.get(staff_id)
        if skills is None:
            raise UnknownStaff(staff_id)
        if skill not in skills:
            raise NotQualified(staff_id, skill)
        if not roster.on_shift(staff_id, start, end):
            raise OutsideShift
        taken = roster.conflict(staff_id, start, end, ignore)
        if taken is not None:
            raise SlotTaken(taken.id)
        return staff_id
    if prefer is not None and roster.available(prefer, skill, start, end, ignore):
        return prefer
    chosen = roster.choose(skill, start, end, hours.tz, ignore)
    if chosen is None:
        raise NoInterpreterFree(skill)
    return chosen


def check_shift_change(
    roster: Roster, shift: Shift, now: datetime, replacing: Shift | None = None
) -> None:
    """A new or changed shift: not over, no overlap with the staff member's other
    shifts, and (when changed) still covering every reservation the old one held."""
    if shift.end <= now:
        raise StartInPast("end")
    for other in roster.shifts:
        if (
            other.staff_id == shift.staff_id
            and other.id != shift.id
            and other.overlaps(shift.start, shift.end)
        ):
            raise ShiftOverlap(other.id)
    if replacing is not None:
        stranded = stranded_by(roster, replacing, shift, now)
        if stranded:
            raise ShiftHoldsReservations([r.id for r in stranded])


def stranded_by(
    roster: Roster, old: Shift, new: Shift | None, now: datetime
) -> list[Reservation]:
    """Reservations still to come that ``old`` covered and ``new`` (None: removed)
    would not, when no other shift of the staff member covers them."""
    others = [s for s in roster.shifts if s.id != old.id and s.staff_id == old.staff_id]
    return [
        r
        for r in roster.reservations
        if r.staff_id == old.staff_id
        and r.end > now
        and old.covers(r.start, r.end)
        and not (new is not None and new.covers(r.start, r.end))
        and not any(s.covers(r.start, r.end) for s in others)
    ]
