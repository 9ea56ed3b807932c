"""The timetable as configured: time windows, each service's weekly hours, and the
calendar exceptions (closures, special openings) that replace them on given days."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from itertools import pairwise
from types import MappingProxyType
from typing import TypeVar

from counseling.services import Service

REASON_MAX = 200
_MIDNIGHT = time(0)
_T = TypeVar("_T")


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
