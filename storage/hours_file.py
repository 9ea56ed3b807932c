"""Operating-hours adapters: Korean public holidays and the TOML exceptions file."""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays

from counseling.hours import (
    DEFAULT_WEEKLY,
    CalendarException,
    ServiceHours,
    WeeklyHours,
    parse_exceptions,
)
from counseling.services import Service


def korean_holidays(years: range | None = None) -> Callable[[date], bool]:
    """Whether a day is a Korean public holiday, substitute and one-off days included.

    ``years`` are loaded now; any other year is loaded the first time it is asked.
    """
    calendar = holidays.country_holidays("KR", years=years or (), expand=True)

    def is_holiday(day: date) -> bool:
        return day in calendar

    return is_holiday


def load_exceptions(path: Path) -> tuple[CalendarException, ...]:
    """The closures and special openings in ``path``; none when it does not exist.

    The file holds ``[[exception]]`` tables with the fields ``parse_exceptions`` reads.
    """
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        return ()
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"exception"})
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {', '.join(unknown)}")
    try:
        return parse_exceptions(data.get("exception", []))
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def save_exceptions(path: Path, exceptions: Iterable[CalendarException]) -> None:
    """Write the exceptions as ``load_exceptions`` reads them, replacing the file
    atomically: a reader sees the old file or the new one, never half of one."""
    text = "".join(_table(exc) for exc in exceptions)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        if path.exists():  # keep the operator's permissions, not mkstemp's 0600
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _table(exc: CalendarException) -> str:
    lines = [
        "[[exception]]",
        f"from = {exc.first_day.isoformat()}",
        f"to = {exc.last_day.isoformat()}",
        f"reason = {_string(exc.reason)}",
    ]
    if exc.services is not None:
        names = ", ".join(_string(s.value) for s in sorted(exc.services))
        lines.append(f"services = [{names}]")
    if exc.windows:
        lines.append(f"open = [{', '.join(_string(str(w)) for w in exc.windows)}]")
    return "\n".join(lines) + "\n\n"


def _string(text: str) -> str:
    """A TOML basic string: quote, backslash and control characters escaped."""
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif char < " " or char == "\x7f":
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


class CenterCalendar:
    """The center's hours as they stand now: weekly windows, Korean holidays and
    the exceptions file, re-read whenever the file changes (no restart needed)."""

    def __init__(
        self,
        path: Path,
        tz: ZoneInfo,
        weekly: Mapping[Service, WeeklyHours] = DEFAULT_WEEKLY,
        holidays: Callable[[date], bool] | None = None,
    ) -> None:
        self.path = path
        self._tz = tz
        self._weekly = weekly
        self._holidays = holidays or korean_holidays()
        self._stamp: tuple[int, int] | None = None
        self._hours = ServiceHours(tz, weekly, self._holidays, ())

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def hours(self) -> ServiceHours:
        """The current hours; a bad file keeps the last good ones (and raises)."""
        stamp = self._file_stamp()
        if stamp != self._stamp:
            exceptions = load_exceptions(self.path)
            self._hours = ServiceHours(
                self._tz, self._weekly, self._holidays, exceptions
            )
            self._stamp = stamp
        return self._hours

    def replace_exceptions(self, exceptions: Iterable[CalendarException]) -> None:
        """Write a new list of exceptions and use it at once."""
        kept = tuple(exceptions)
        save_exceptions(self.path, kept)
        self._hours = ServiceHours(self._tz, self._weekly, self._holidays, kept)
        self._stamp = self._file_stamp()
