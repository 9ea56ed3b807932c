"""Reservations: slots booked ahead with an interpreter, and the staff shifts they fit.

Pure rules, ``now`` always a parameter: a slot lies inside its service's hours and
a shift of a qualified interpreter, is not in the past, and never overlaps another
slot of that interpreter; the join link's window and the no-show rule."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

from counseling.errors import CounselingError
from counseling.hours import ServiceHours, first_instant
from counseling.services import Skill

DEFAULT_DURATION = timedelta(minutes=30)
MIN_DURATION = timedelta(minutes=10)
MAX_DURATION = timedelta(hours=3)
MAX_SHIFT = timedelta(hours=16)
BOOKING_HORIZON = timedelta(days=90)
"""How far ahead a slot may be booked."""
JOIN_EARLY = timedelta(minutes=10)
"""The join link works from this long before the start to the end of the slot."""
NO_SHOW_AFTER = timedelta(minutes=10)
"""A citizen not joined this long after the start is a no-show; the slot is freed."""
SLOT_STEP = timedelta(minutes=30)
"""The grid of start times offered to citizens (from local midnight)."""
HISTORY = timedelta(days=7)
"""How far back the automatic choice looks for an interpreter's last booking."""
NAME_MAX = 100
CONTACT_MAX = 100
NOTES_MAX = 1000

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
_PHONE = re.compile(r"^\+?[(0-9][0-9 ().-]*[0-9]$")
_EARLIEST = datetime.min.replace(tzinfo=UTC)


class ReservationStatus(StrEnum):
    BOOKED = "booked"
    """Holds the slot; the citizen has not joined yet."""
    CLAIMED = "claimed"
    """The citizen joined with the link; the slot stays held."""
    NO_SHOW = "no_show"
    """Nobody joined within NO_SHOW_AFTER of the start; the slot was freed."""
    CANCELLED = "cancelled"

    @property
    def holds_slot(self) -> bool:
        return self in (ReservationStatus.BOOKED, ReservationStatus.CLAIMED)


HOLDING = frozenset(s for s in ReservationStatus if s.holds_slot)


# -- errors: each names the field of the request it is about ------------------


class ReservationError(CounselingError):
    """A booking, move, cancellation, shift change or join was refused."""

    code = "reservation_error"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidField(ReservationError, ValueError):
    """A value is malformed or out of range."""

    code = "invalid_field"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field)


class InvalidContact(InvalidField):
    code = "invalid_contact"

    def __init__(self) -> None:
        super().__init__(
            "citizen_contact",
            "give a phone number (8-15 digits, e.g. 010-1234-5678) or an e-mail "
            "address (name@example.kr)",
        )


class StartInPast(ReservationError):
    code = "start_in_past"

    def __init__(self, field: str = "start") -> None:
        super().__init__(f"{field}: the time has already passed", field)


class TooFarAhead(ReservationError):
    code = "too_far_ahead"

    def __init__(self) -> None:
        days = BOOKING_HORIZON.days
        super().__init__(f"start: book at most {days} days ahead", "start")


class OutsideServiceHours(ReservationError):
    code = "outside_service_hours"

    def __init__(self, skill: Skill) -> None:
        super().__init__(
            f"start: {skill.service.value} is not open for the whole slot", "start"
        )


class UnknownStaff(ReservationError):
    code = "unknown_staff"

    def __init__(self, staff_id: str) -> None:
        super().__init__(
            f"staff_id: no interpreter has the id {staff_id!r}", "staff_id"
        )
        self.staff_id = staff_id


class NotQualified(ReservationError):
    code = "not_qualified"

    def __init__(self, staff_id: str, skill: Skill) -> None:
        super().__init__(
            f"staff_id: this interpreter does not offer {skill}", "staff_id"
        )


class OutsideShift(ReservationError):
    code = "outside_shift"

    def __init__(self) -> None:
        super().__init__(
            "start: the interpreter has no shift covering the whole slot", "start"
        )


class SlotTaken(ReservationError):
    code = "slot_taken"

    def __init__(self, conflict_id: str | None) -> None:
        super().__init__(
            "start: the interpreter already has a reservation overlapping this slot",
            "start",
        )
        self.conflict_id = conflict_id


class NoInterpreterFree(ReservationError):
    code = "no_interpreter_free"

    def __init__(self, skill: Skill) -> None:
        super().__init__(
            f"start: no interpreter for {skill} is on shift and free for this slot",
            "start",
        )


class ShiftOverlap(ReservationError):
    code = "shift_overlap"

    def __init__(self, conflict_id: str | None) -> None:
        super().__init__(
            "start: the staff member already has a shift overlapping this one", "start"
        )
        self.conflict_id = conflict_id


class ShiftHoldsReservations(ReservationError):
    code = "shift_has_reservations"

    def __init__(self, reservation_ids: Sequence[str]) -> None:
        super().__init__(
            f"start: {len(reservation_ids)} reservation(s) would fall outside the "
            "shift; move or cancel them first",
            "start",
        )
        self.reservation_ids = tuple(reservation_ids)


class NotFound(ReservationError):
    code = "not_found"

    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"no {what} has this id", f"{what}_id")
        self.key = key


class ReservationClosed(ReservationError):
    code = "reservation_closed"

    def __init__(self, status: ReservationStatus) -> None:
        super().__init__(
            f"reservation_id: the reservation is {status.value} and cannot change",
            "reservation_id",
        )
        self.status = status


class JoinTokenUnknown(ReservationError):
    code = "join_token_unknown"

    def __init__(self) -> None:
        super().__init__(
            "token: this join link does not belong to a reservation", "token"
        )


class JoinTooEarly(ReservationError):
    code = "join_too_early"

    def __init__(self, opens_at: datetime) -> None:
        super().__init__(
            f"token: the join link works from {opens_at.isoformat()}", "token"
        )
        self.opens_at = opens_at


class JoinTokenExpired(ReservationError):
    code = "join_token_expired"

    def __init__(self, reason: str) -> None:
        super().__init__(f"token: the join link no longer works ({reason})", "token")
        self.reason = reason


# -- values --------------------------------------------------------------------


def new_join_token() -> str:
    """The secret in a citizen's join link: 256 random bits."""
    return secrets.token_urlsafe(32)


def join_token_hash(token: str) -> str:
    """What is stored for a join token, so a database leak gives no usable link."""
    return hashlib.sha256(token.encode()).hexdigest()


def _instant(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidField(name, "give a date and time with a UTC offset")
    if value.second or value.microsecond:
        raise InvalidField(name, "times are whole minutes")
    return value.astimezone(UTC)


def _one_line(text: str | None, name: str, limit: int, multiline: bool) -> str | None:
    if text is None:
        return None
    given = text.replace("\r\n", "\n").strip()
    kept = "".join(
        ch
        for ch in given
        if (multiline and ch in "\n\t") or unicodedata.category(ch)[0] != "C"
    )
    if len(kept) > limit:
        raise InvalidField(name, f"at most {limit} characters")
    if kept != given:
        raise InvalidField(name, "control characters are not allowed")
    return kept or None


def clean_contact(text: str | None) -> str | None:
    """A phone number or e-mail address, trimmed; None when empty."""
    kept = _one_line(text, "citizen_contact", CONTACT_MAX, multiline=False)
    if kept is None:
        return None
    if "@" in kept:
        if _EMAIL.match(kept) and len(kept) <= CONTACT_MAX:
            return kept
        raise InvalidContact
    digits = sum(ch.isdigit() for ch in kept)
    if _PHONE.match(kept) and kept.isascii() and 8 <= digits <= 15:
        return " ".join(kept.split())
    raise InvalidContact


@dataclass(frozen=True, slots=True)
class CitizenDetails:
    """Personal data the citizen gave: every read is audited, never logged."""

    name: str | None = None
    contact: str | None = None
    notes: str | None = None

    @classmethod
    def create(
        cls, name: str | None, contact: str | None, notes: str | None
    ) -> CitizenDetails:
        """Cleaned and checked; InvalidField names the field that is wrong."""
        return cls(
            _one_line(name, "citizen_name", NAME_MAX, multiline=False),
            clean_contact(contact),
            _one_line(notes, "notes", NOTES_MAX, multiline=True),
        )


@dataclass(frozen=True, slots=True)
class Interpreter:
    """A staff member who can hold reservations, as the scheduler sees them."""

    id: str
    display_name: str
    skills: frozenset[Skill]


@dataclass(frozen=True, slots=True)
class Shift:
    """When a staff member works: reservations for them must fit inside one."""

    id: str
    staff_id: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _instant(self.start, "start"))
        object.__setattr__(self, "end", _instant(self.end, "end"))
        if self.end <= self.start:
            raise InvalidField("end", "a shift must end after it starts")
        if self.end - self.start > MAX_SHIFT:
            hours = MAX_SHIFT // timedelta(hours=1)
            raise InvalidField("end", f"a shift lasts at most {hours} hours")

    def covers(self, start: datetime, end: datetime) -> bool:
        return self.start <= start and end <= self.end

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


@dataclass(frozen=True, slots=True)
class SlotRequest:
    """What a scheduler or citizen asks for; ``staff_id`` None: choose for me."""

    skill: Skill
    start: datetime
    duration: timedelta = DEFAULT_DURATION
    staff_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _instant(self.start, "start"))
        minutes = self.duration / timedelta(minutes=1)
        if minutes != int(minutes):
            raise InvalidField("duration_minutes", "whole minutes only")
        if not MIN_DURATION <= self.duration <= MAX_DURATION:
            low, high = (
                int(d / timedelta(minutes=1)) for d in (MIN_DURATION, MAX_DURATION)
            )
            raise InvalidField("duration_minutes", f"must be {low}-{high} minutes")

    @property
    def end(self) -> datetime:
        return self.start + self.duration


@dataclass(frozen=True, slots=True)
class Reservation:
    """A slot held for a citizen with one interpreter."""

    id: str
    skill: Skill
    staff_id: str
    start: datetime
    end: datetime
    status: ReservationStatus
    join_token_hash: str
    citizen: CitizenDetails
    booked_by: str | None
    """The scheduler's staff id; None when the citizen booked."""
    created_at: datetime
    revision: int = 0
    """Raised by every move or cancellation (an .ics file's SEQUENCE)."""
    claimed_at: datetime | None = None
    closed_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("start", "end", "created_at", "claimed_at", "closed_at"):
            value = getattr(self, name)
            if value is not None:
                if value.utcoffset() is None:
                    raise ValueError(f"{name} must be timezone-aware")
                object.__setattr__(self, name, value.astimezone(UTC))
        if self.end <= self.start:
            raise ValueError("a reservation must end after it starts")

    @property
    def join_opens_at(self) -> datetime:
        return self.start - JOIN_EARLY

    @property
    def no_show_at(self) -> datetime:
        return self.start + NO_SHOW_AFTER

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end

    def is_no_show(self, now: datetime) -> bool:
        return self.status is ReservationStatus.BOOKED and now >= self.no_show_at

    def check_join(self, now: datetime) -> None:
        """Raise unless the join link works at ``now``."""
        if self.status is ReservationStatus.CANCELLED:
            raise JoinTokenExpired("the reservation was cancelled")
        if self.status is ReservationStatus.NO_SHOW or self.is_no_show(now):
            raise JoinTokenExpired("nobody joined in time and the slot was released")
        if now >= self.end:
            raise JoinTokenExpired("the slot has ended")
        if now < self.join_opens_at:
            raise JoinTooEarly(self.join_opens_at)

    def claimed(self, now: datetime) -> Reservation:
        """Joined at ``now``; claiming again (a reload) keeps the first time."""
        self.check_join(now)
        if self.status is ReservationStatus.CLAIMED:
            return self
        return replace(self, status=ReservationStatus.CLAIMED, claimed_at=now)

    def ensure_changeable(self) -> None:
        """Raise ReservationClosed unless still booked (not joined, ended or
        cancelled): only then may it move, be cancelled or get a new link."""
        if self.status is not ReservationStatus.BOOKED:
            raise ReservationClosed(self.status)

    def cancelled(self, now: datetime) -> Reservation:
        self.ensure_changeable()
        return replace(
            self,
            status=ReservationStatus.CANCELLED,
            closed_at=now,
            revision=self.revision + 1,
        )

    def released_as_no_show(self, now: datetime) -> Reservation:
        if not self.is_no_show(now):
            raise ValueError(f"reservation {self.id} is not a no-show at {now}")
        return replace(self, status=ReservationStatus.NO_SHOW, closed_at=now)

    def moved(self, staff_id: str, start: datetime, end: datetime) -> Reservation:
        self.ensure_changeable()
        return replace(
            self, staff_id=staff_id, start=start, end=end, revision=self.revision + 1
        )

    def with_token_hash(self, token_hash: str) -> Reservation:
        self.ensure_changeable()
        return replace(self, join_token_hash=token_hash)


@dataclass(frozen=True, slots=True)
class JoinClaim:
    """A citizen joined with a valid link; ``first`` is False on a rejoin."""

    reservation: Reservation
    first: bool


# -- the rules -----------------------------------------------------------------


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


def _grid(at: datetime, tz: ZoneInfo, step: timedelta) -> datetime:
    """The first start on the local grid of ``step`` at or after ``at``."""
    local = at.astimezone(tz)
    minutes = (
        local.hour * 60 + local.minute + (1 if local.second or local.microsecond else 0)
    )
    size = int(step / timedelta(minutes=1))
    minute = -(-minutes // size) * size
    return first_instant(local.date(), minute, tz)


def free_slots(
    skill: Skill,
    roster: Roster,
    now: datetime,
    hours: ServiceHours,
    *,
    count: int,
    lead: timedelta = timedelta(minutes=15),
    horizon: timedelta = timedelta(days=14),
    duration: timedelta = DEFAULT_DURATION,
    step: timedelta = SLOT_STEP,
) -> list[tuple[datetime, datetime]]:
    """The next ``count`` starts on the grid, at least ``lead`` from now, that the
    service's hours and some qualified interpreter's shift and calendar allow."""
    found: list[tuple[datetime, datetime]] = []
    at = _grid(now + lead, hours.tz, step)
    limit = now + min(horizon, BOOKING_HORIZON)
    closes: datetime | None = None
    while at <= limit and len(found) < count:
        if closes is None or at >= closes:
            opens = hours.next_open(skill.service, at)
            if opens is None or opens > limit:
                break
            if opens > at:
                at = _grid(opens, hours.tz, step)
                continue
            closes = hours.next_close(skill.service, at) or limit + duration
        end = at + duration
        if end <= closes and roster.choose(skill, at, end, hours.tz) is not None:
            found.append((at, end))
        at = _grid(at + step, hours.tz, step)
    return found


def local_day_bounds(
    day_start: datetime, days: int, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    """The instants (UTC) at which ``days`` local days from ``day_start``'s date begin
    and end."""
    first = day_start.astimezone(tz).date()
    return (
        first_instant(first, 0, tz),
        first_instant(first + timedelta(days=days), 0, tz),
    )


def holding(reservations: Iterable[Reservation]) -> list[Reservation]:
    return [r for r in reservations if r.status.holds_slot]
