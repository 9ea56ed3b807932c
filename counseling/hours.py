"""Operating hours: weekly windows per service, holidays, closures, special openings.

Pure: the caller passes ``now`` and the holiday lookup; nothing reads clock or file."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from types import MappingProxyType
from typing import TypeVar
from zoneinfo import ZoneInfo

from counseling.errors import CounselingError
from counseling.services import Service

CENTER_TZ = "Asia/Seoul"
HORIZON_DAYS = 366
"""How far ``next_open`` and ``next_close`` look ahead before giving up."""
REASON_MAX = 200
_MIDNIGHT = time(0)
_T = TypeVar("_T")
_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Local wall-clock hours within one day, from ``start`` up to (not incl.) ``end``.

    Whole minutes, no tzinfo. ``end == time(0)`` means midnight at the end of the
    day (24:00), so ``TimeWindow(time(0), time(0))`` is the whole day.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        for t in (self.start, self.end):
            if not isinstance(t, time) or t.tzinfo is not None:
                raise ValueError(f"window times must be naive times, not {t!r}")
            if t.second or t.microsecond:
                raise ValueError(f"window times are whole minutes, not {t}")
        if self.end != _MIDNIGHT and self.end <= self.start:
            raise ValueError(f"a window must end after it starts: {self}")

    @property
    def start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        """Minutes after midnight; 1440 for a window running to the end of the day."""
        return self.end.hour * 60 + self.end.minute or 24 * 60

    def __str__(self) -> str:
        end = "24:00" if self.end == _MIDNIGHT else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}-{end}"

    @classmethod
    def parse(cls, text: str) -> TimeWindow:
        """Read ``HH:MM-HH:MM``; the end may be ``24:00``."""
        first, sep, last = text.partition("-")
        try:
            if not sep:
                raise ValueError("expected HH:MM-HH:MM")
            end = _MIDNIGHT if last.strip() == "24:00" else _hhmm(last)
            return cls(_hhmm(first), end)
        except ValueError as exc:
            raise ValueError(f"not a window: {text!r} ({exc})") from None


def _hhmm(text: str) -> time:
    hours, sep, minutes = text.strip().partition(":")
    digits = (hours + minutes).isascii() and hours.isdigit() and minutes.isdigit()
    if not (sep and len(minutes) == 2 and digits):
        raise ValueError(f"{text.strip()!r} is not HH:MM")
    return time(int(hours), int(minutes))


def _windows(windows: Sequence[TimeWindow], what: str) -> tuple[TimeWindow, ...]:
    """The windows as a tuple, after checking they are sorted and do not overlap."""
    found = tuple(windows)
    for w in found:
        if not isinstance(w, TimeWindow):
            raise ValueError(f"{what}: {w!r} is not a TimeWindow")
    for before, after in pairwise(found):
        if before.end_minute > after.start_minute:
            raise ValueError(f"{what}: {before} and {after} overlap or are unsorted")
    return found


class DayKind(StrEnum):
    WEEKDAY = "weekday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """A service's normal windows: Monday-Friday, Saturday-Sunday, public holidays."""

    weekday: tuple[TimeWindow, ...] = ()
    weekend: tuple[TimeWindow, ...] = ()
    holiday: tuple[TimeWindow, ...] = ()

    def __post_init__(self) -> None:
        for kind in DayKind:
            windows = _windows(getattr(self, kind.value), f"{kind.value} hours")
            object.__setattr__(self, kind.value, windows)

    def on(self, kind: DayKind) -> tuple[TimeWindow, ...]:
        windows: tuple[TimeWindow, ...] = getattr(self, kind.value)
        return windows


def _hours(weekday: str, weekend: str, holiday: str) -> WeeklyHours:
    return WeeklyHours(*((TimeWindow.parse(t),) for t in (weekday, weekend, holiday)))


# A new Service needs one entry here; ServiceHours refuses a mapping without it.
DEFAULT_WEEKLY: Mapping[Service, WeeklyHours] = MappingProxyType(
    {
        Service.SIGN_LANGUAGE: _hours("09:00-22:00", "09:00-18:00", "09:00-18:00"),
        Service.CHAT: _hours("09:00-22:00", "09:00-18:00", "09:00-18:00"),
        Service.FOREIGN_LANGUAGE: _hours("09:00-22:00", "09:00-22:00", "09:00-22:00"),
    }
)


@dataclass(frozen=True, slots=True)
class CalendarException:
    """A closure (no windows) or a special opening (windows replace the normal ones).

    Covers ``first_day`` to ``last_day`` inclusive, for ``services`` or, when None,
    for every service.
    """

    first_day: date
    last_day: date
    reason: str
    windows: tuple[TimeWindow, ...] = ()
    services: frozenset[Service] | None = None

    def __post_init__(self) -> None:
        for name in ("first_day", "last_day"):
            day = getattr(self, name)
            if not isinstance(day, date) or isinstance(day, datetime):
                raise ValueError(f"{name} must be a date, not {day!r}")
        if self.last_day < self.first_day:
            raise ValueError(f"last_day {self.last_day} is before {self.first_day}")
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise ValueError("a reason is required")
        if len(self.reason) > REASON_MAX:
            raise ValueError(f"the reason is longer than {REASON_MAX} characters")
        if not self.reason.isprintable():
            raise ValueError("the reason must be one line of printable text")
        object.__setattr__(self, "windows", _windows(self.windows, "opening hours"))
        if self.services is not None:
            services = frozenset(self.services)
            if not services:
                raise ValueError("services must name one service at least, or be None")
            for s in services:
                if not isinstance(s, Service):
                    raise ValueError(f"{s!r} is not a Service")
            object.__setattr__(self, "services", services)

    @property
    def is_closure(self) -> bool:
        return not self.windows

    def covers(self, service: Service, day: date) -> bool:
        in_services = self.services is None or service in self.services
        return in_services and self.first_day <= day <= self.last_day

    def to_data(self) -> dict[str, object]:
        """The plain (JSON-ready) form that ``parse_exceptions`` reads back."""
        data: dict[str, object] = {
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "reason": self.reason,
        }
        if self.services is not None:
            data["services"] = sorted(s.value for s in self.services)
        if self.windows:
            data["open"] = [str(w) for w in self.windows]
        return data


_FIELDS = frozenset({"from", "to", "reason", "services", "open"})


def parse_exceptions(data: object) -> tuple[CalendarException, ...]:
    """Read a list of ``{"from", "to", "reason", "services"?, "open"?}`` entries.

    Dates are ISO strings or dates; ``to`` defaults to ``from``, ``services`` to
    all, and no ``open`` list means closed. Errors name the entry (from 1) and field.
    """
    if not isinstance(data, list | tuple):
        raise ValueError(f"exceptions must be a list, not {type(data).__name__}")
    return tuple(_parse_entry(n, entry) for n, entry in enumerate(data, 1))


def _parse_entry(n: int, entry: object) -> CalendarException:
    where = f"exception #{n}"
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where}: must be a table, not {type(entry).__name__}")
    unknown = sorted(str(k) for k in entry if k not in _FIELDS)
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(unknown)}")
    first = _read(where, "from", _day, entry.get("from"))
    to = entry.get("to")
    last = first if to is None else _read(where, "to", _day, to)
    reason = _read(where, "reason", _text, entry.get("reason"))
    services = None
    if "services" in entry:
        services = _read(where, "services", _services, entry["services"])
    windows = _read(where, "open", _opening, entry.get("open", []))
    try:
        return CalendarException(first, last, reason, windows, services)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _read(where: str, field: str, parse: Callable[[object], _T], value: object) -> _T:
    try:
        return parse(value)
    except ValueError as exc:
        raise ValueError(f"{where}: {field}: {exc}") from None


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, not {value!r}")
    return value


def _services(value: object) -> frozenset[Service]:
    return frozenset(Service(s) for s in _list_of_str(value))


def _opening(value: object) -> tuple[TimeWindow, ...]:
    return tuple(TimeWindow.parse(w) for w in _list_of_str(value))


def _day(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"expected a date like 2026-12-31, not {value!r}")


def _list_of_str(value: object) -> list[str]:
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError(f"expected a list of strings, not {value!r}")


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
