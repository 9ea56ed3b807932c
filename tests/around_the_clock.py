"""Tests run at any hour: an all-day opening for every service, around today."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from counseling.hours import CalendarException, TimeWindow
from storage.hours_file import save_exceptions

ALL_DAY = TimeWindow(time(0), time(0))


def open_around_the_clock(path: Path) -> Path:
    """Write an exceptions file that opens every service all day, from yesterday
    to tomorrow (whatever the center's time zone), and return its path."""
    today = datetime.now(UTC).date()
    save_exceptions(
        path,
        (
            CalendarException(
                first_day=today - timedelta(days=1),
                last_day=today + timedelta(days=1),
                reason="tests run around the clock",
                windows=(ALL_DAY,),
            ),
        ),
    )
    return path
