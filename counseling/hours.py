"""Operating hours: whether a service is open, when it next opens or closes, over the
weekly hours, holidays and exceptions of ``counseling.timetable``.

Pure: the caller passes ``now`` and the holiday lookup; nothing reads clock or file."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from counseling.errors import CounselingError
from counseling.services import Service
from counseling.timetable import (
    DEFAULT_WEEKLY,
    REASON_MAX,
    CalendarException,
    DayKind,
    TimeWindow,
    WeeklyHours,
    parse_exceptions,
)

__all__ = [
    "CENTER_TZ",
    "DEFAULT_WEEKLY",
    "HORIZON_DAYS",
    "REASON_MAX",
    "CalendarException",
    "ClosingSoon",
    "DayKind",
    "ServiceClosed",
    "ServiceHours",
    "TimeWindow",
    "WeeklyHours",
    "first_instant",
    "no_holidays",
    "parse_exceptions",
]

CENTER_TZ = "Asia/Seoul"
HORIZON_DAYS = 366
"""How far ``next_open`` and ``next_close`` look ahead before giving up."""
_MIDNIGHT = time(0)
_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)


def no_holidays(day: date) -> bool:
    """A holiday lookup for a calendar without public holidays."""
    return False


def first_instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the clock in ``tz`` reads ``minute`` of ``day``
    or later.

    An ambiguous time (fall back) gives its first occurrence; a skipped time (spring
    forward) gives the moment of the jump, the first valid instant after it.
    """
    wall = datetime.combine(day, _MIDNIGHT) + timedelta(minutes=minute)
    guess = wall.replace(tzinfo=tz).astimezone(UTC)  # fold=0: the earlier meaning
    if guess.astimezone(tz).replace(tzinfo=None) == wall:
        return guess
    # In a gap: fold=1 lands before the jump and fold=0 after it; bisect between.
    before = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after = guess
    while after - before > _TICK:
        middle = before + (after - before) // 2
        if middle.astimezone(tz).replace(tzinfo=None) >= wall:
            after = middle
        else:
            before = middle
    return after


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"times must be timezone-aware, not {now!r}")
    return now.astimezone(UTC)


class ServiceClosed(CounselingError):
    """A citizen asked for a service outside its hours."""

    code = "service_closed"

    def __init__(self, service: Service, next_open: datetime | None) -> None:
        if next_open is None:
            when = "no opening is scheduled"
        else:
            zone = getattr(next_open.tzinfo, "key", None) or next_open.tzname()
            when = f"it opens next at {next_open:%Y-%m-%d %H:%M} ({zone})"
        super().__init__(f"{service.value} is closed; {when}")
        self.service = service
        self.next_open = next_open


class ClosingSoon(ServiceClosed):
    """Open now, but the estimated wait runs past closing time."""

    code = "closing_soon"

    def __init__(
        self, service: Service, closes_at: datetime, next_open: datetime | None
    ) -> None:
        super().__init__(service, next_open)
        self.args = (
            f"{service.value} closes at {closes_at:%H:%M} before your turn would "
            f"come; {self.args[0].split('; ', 1)[1]}",
        )
        self.closes_at = closes_at


@dataclass(frozen=True, slots=True)
class ServiceHours:
    """Answers whether a service is open at a moment, and when it next opens or closes.

    A window opens the first time the local clock shows its start and closes the
    first time it shows its end. Of several exceptions covering a day, the last wins.
    Answers are in UTC, safe to subtract; show them with ``.astimezone(tz)``.
    """

    tz: ZoneInfo
    weekly: Mapping[Service, WeeklyHours]
    holidays: Callable[[date], bool]
    exceptions: Sequence[CalendarException] = ()
    # Open periods over the horizon by (service, first day): the answers are a
    # lookup, not a walk through a year of days (a service open around the
    # clock never closes, so next_close walked all of them on every request).
    _periods: dict[tuple[Service, date], tuple[list[datetime], list[datetime]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not isinstance(self.tz, ZoneInfo):
            raise ValueError(f"tz must be a ZoneInfo, not {self.tz!r}")
        missing = sorted(s.value for s in Service if s not in self.weekly)
        if missing:
            raise ValueError(f"no weekly hours for {', '.join(missing)}")
        if not all(isinstance(h, WeeklyHours) for h in self.weekly.values()):
            raise ValueError("weekly hours must be WeeklyHours")
        if not all(isinstance(e, CalendarException) for e in self.exceptions):
            raise ValueError("exceptions must be CalendarExceptions")
        object.__setattr__(self, "weekly", MappingProxyType(dict(self.weekly)))
        object.__setattr__(self, "exceptions", tuple(self.exceptions))

    def day_kind(self, day: date) -> DayKind:
        if self.holidays(day):
            return DayKind.HOLIDAY
        return DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WEEKDAY

    def exception_on(self, service: Service, day: date) -> CalendarException | None:
        """The exception in force for the service on that day: the last one listed."""
        for exc in reversed(self.exceptions):
            if exc.covers(service, day):
                return exc
        return None

    def windows_on(self, service: Service, day: date) -> tuple[TimeWindow, ...]:
        """The local windows of that day, after holidays and exceptions."""
        exc = self.exception_on(service, day)
        if exc is not None:
            return exc.windows
        return self.weekly[service].on(self.day_kind(day))

    def _spans(
        self, service: Service, first_day: date, days: int
    ) -> Iterator[tuple[datetime, datetime]]:
        """Open spans (UTC, end excluded) in order, window by window, day by day."""
        for n in range(days):
            day = first_day + timedelta(days=n)
            for w in self.windows_on(service, day):
                start = first_instant(day, w.start_minute, self.tz)
                end = first_instant(day, w.end_minute, self.tz)
                if start < end:  # a day the zone skipped has no time in it
                    yield start, end

    def _local_day(self, at: datetime) -> date:
        # A day earlier: a fall back across midnight replays the previous date.
        return at.astimezone(self.tz).date() - _DAY

    def _open_periods(
        self, service: Service, first_day: date
    ) -> tuple[list[datetime], list[datetime]]:
        """Starts and ends of the open periods from ``first_day`` to the horizon;
        windows that touch (across midnight too) form one period."""
        key = (service, first_day)
        found = self._periods.get(key)
        if found is None:
            starts: list[datetime] = []
            ends: list[datetime] = []
            for start, end in self._spans(service, first_day, HORIZON_DAYS + 2):
                if ends and start == ends[-1]:
                    ends[-1] = end
                else:
                    starts.append(start)
                    ends.append(end)
            if len(self._periods) >= 4 * len(Service):
                self._periods.clear()  # yesterday's
            found = self._periods[key] = (starts, ends)
        return found

    def is_open(self, service: Service, now: datetime) -> bool:
        at = _aware(now)
        starts, ends = self._open_periods(service, self._local_day(at))
        i = bisect_right(starts, at) - 1
        return i >= 0 and at < ends[i]

    def next_open(self, service: Service, now: datetime) -> datetime | None:
        """The earliest moment at or after ``now`` when open: ``now`` if open now.

        None when not open within HORIZON_DAYS.
        """
        at = _aware(now)
        starts, ends = self._open_periods(service, self._local_day(at))
        i = bisect_right(ends, at)
        return max(starts[i], at) if i < len(ends) else None

    def next_close(self, service: Service, now: datetime) -> datetime | None:
        """When the open period around ``now`` ends; windows that touch (across
        midnight too) form one period.

        None when closed at ``now``, or open without a break for HORIZON_DAYS.
        """
        at = _aware(now)
        first_day = self._local_day(at)
        starts, ends = self._open_periods(service, first_day)
        i = bisect_right(starts, at) - 1
        if i < 0 or at >= ends[i]:
            return None
        horizon = first_instant(
            first_day + timedelta(days=HORIZON_DAYS + 2), 0, self.tz
        )
        return ends[i] if ends[i] < horizon else None

    def ensure_open(self, service: Service, now: datetime) -> None:
        """Raise ServiceClosed, with the next opening, unless open at ``now``."""
        if not self.is_open(service, now):
            opens = self.next_open(service, now)
            local = None if opens is None else opens.astimezone(self.tz)
            raise ServiceClosed(service, local)
