"""Availability: the free slots offered to citizens on a grid of start times, and
the bounds of local days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from counseling.booking_rules import Roster
from counseling.hours import ServiceHours, first_instant
from counseling.reservation_terms import BOOKING_HORIZON, DEFAULT_DURATION, SLOT_STEP
from counseling.reservation_values import Reservation
from counseling.services import Skill


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
