"""Case statistics: the range and grouping asked for, the rows answered, and the
definitions every adapter computes them by (in the database, never in Python).

Definitions, per bucket of request time in the center's time zone:

- ``requests``: cases requested; ``answered``: cases an interpreter answered;
  ``abandoned``: ended unanswered because the citizen gave up (cancelled, or
  left while waiting); ``unanswered``: ended unanswered for any other reason
  (declined by all, connection lost, service interrupted). Cases still open are
  in ``requests`` only.
- ``answered_within_60``/``_120``: answered with a wait of at most 60/120 s.
- ``wait_average``, ``wait_p90``: over answered cases, the seconds from request to
  answer; the 90th percentile by nearest rank (``percentile_90``).
- ``handle_average``: over answered cases that ended, seconds in session.
- ``satisfaction_*``: over the cases whose citizen gave a score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from counseling.cases import EndReason
from counseling.errors import CounselingError
from counseling.services import Language, Service

ANSWER_TARGETS = (60, 120)
"""Service-level targets: answered within this many seconds."""
ABANDONED_REASONS = (
    EndReason.CITIZEN_CANCELLED,
    EndReason.CITIZEN_LEFT_WHILE_WAITING,
)
CHANNELS = ("video", "chat")


class Granularity(StrEnum):
    DAY = "day"
    HOUR = "hour"


MAX_DAYS = {Granularity.DAY: 366, Granularity.HOUR: 31}
"""The longest range asked for at once, in days."""


class Dimension(StrEnum):
    """What rows may be broken down by, besides time."""

    SERVICE = "service"
    LANGUAGE = "language"
    CHANNEL = "channel"


class StatisticsError(CounselingError, ValueError):
    code = "statistics_error"

    def __init__(self, message: str, field: str | None) -> None:
        super().__init__(message)
        self.field = field


class InvalidStatsField(StatisticsError):
    code = "invalid_field"


class RangeReversed(StatisticsError):
    code = "range_reversed"

    def __init__(self, first: date, last: date) -> None:
        super().__init__(f"to: {last} is before from: {first}", "to")


class RangeTooLong(StatisticsError):
    code = "range_too_long"

    def __init__(self, days: int, most: int, granularity: Granularity) -> None:
        super().__init__(
            f"to: {days} days asked; at most {most} days by {granularity.value}", "to"
        )


def percentile_90(values: Iterable[float]) -> float | None:
    """The 90th percentile by nearest rank: the smallest value that at least 90% of
    the values are at or below (rank ceil(0.9 n) in ascending order)."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[p90_rank(len(ordered)) - 1]


def p90_rank(count: int) -> int:
    """ceil(0.9 * count) in whole numbers: the rank ``percentile_90`` picks.

    A rank r (from 1) is at or past it exactly when ``10 * r >= 9 * count``, the
    test the SQL adapters use."""
    return (9 * count + 9) // 10


@dataclass(frozen=True, slots=True)
class StatsRange:
    """Whole local days ``first``..``last`` (inclusive) in the center's zone."""

    first: date
    last: date
    granularity: Granularity
    tz: ZoneInfo

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise RangeReversed(self.first, self.last)
        days = (self.last - self.first).days + 1
        most = MAX_DAYS[self.granularity]
        if days > most:
            raise RangeTooLong(days, most, self.granularity)

    @property
    def start(self) -> datetime:
        """The first instant, aware (local midnight of ``first``)."""
        return _local_midnight(self.first, self.tz)

    @property
    def end(self) -> datetime:
        """The instant after the range (local midnight after ``last``)."""
        return _local_midnight(self.last + timedelta(days=1), self.tz)

    def buckets(self) -> list[datetime]:
        """Every bucket's local start in the range, in order (empty ones too)."""
        if self.granularity is Granularity.DAY:
            count = (self.last - self.first).days + 1
            return [
                _local_midnight(self.first + timedelta(days=n), self.tz)
                for n in range(count)
            ]
        # Keyed by wall time: an hour the clocks repeat is one bucket.
        seen: dict[datetime, None] = {}
        moment = self.start.astimezone(UTC)
        end = self.end.astimezone(UTC)
        while moment < end:
            wall = moment.astimezone(self.tz).replace(tzinfo=None)
            seen.setdefault(wall.replace(minute=0, second=0, microsecond=0), None)
            moment += timedelta(hours=1)
        return [wall.replace(tzinfo=self.tz) for wall in seen]


def offset_segments(
    start: datetime, end: datetime, tz: ZoneInfo
) -> list[tuple[datetime, int]]:
    """The zone's UTC offset over ``[start, end)`` as (from this UTC instant,
    offset seconds) pieces, first from ``start``: lets a database with no zone
    rules (SQLite) shift UTC times to local ones."""
    moment = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    stop = end.astimezone(UTC)
    pieces: list[tuple[datetime, int]] = []
    while moment < stop or not pieces:
        offset = _offset_seconds(moment, tz)
        if not pieces or pieces[-1][1] != offset:
            pieces.append((moment, offset))
        moment += timedelta(minutes=15)  # zones change on quarter hours
    return pieces


def _offset_seconds(moment: datetime, tz: ZoneInfo) -> int:
    delta = moment.astimezone(tz).utcoffset()
    return 0 if delta is None else int(delta.total_seconds())


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    # Midnight may not exist on a day the clocks spring forward: normalize it.
    wall = datetime.combine(day, time(0), tz)
    return wall.astimezone(UTC).astimezone(tz)


@dataclass(frozen=True, slots=True)
class StatsFilter:
    service: Service | None = None
    language: Language | None = None
    channel: str | None = None

    def __post_init__(self) -> None:
        if self.channel is not None and self.channel not in CHANNELS:
            raise InvalidStatsField(f"channel: one of {', '.join(CHANNELS)}", "channel")


@dataclass(frozen=True, slots=True)
class StatsQuery:
    range: StatsRange
    filter: StatsFilter = StatsFilter()
    group_by: tuple[Dimension, ...] = ()

    def __post_init__(self) -> None:
        if len(set(self.group_by)) != len(self.group_by):
            raise InvalidStatsField("group: a dimension appears twice", "group")


@dataclass(frozen=True, slots=True)
class StatsRow:
    """Figures for one bucket (None: the whole range) and group."""

    bucket: datetime | None
    service: str | None
    language: str | None
    channel: str | None
    requests: int
    answered: int
    abandoned: int
    unanswered: int
    answered_within_60: int
    answered_within_120: int
    wait_average: float | None
    wait_p90: float | None
    handle_average: float | None
    satisfaction_count: int
    satisfaction_average: float | None
    satisfaction: tuple[int, int, int, int, int]
    """How many gave each score, 1 to 5."""

    def __post_init__(self) -> None:
        if sum(self.satisfaction) != self.satisfaction_count:
            raise ValueError("the score counts must add up to satisfaction_count")
        for name in ("wait_average", "wait_p90", "handle_average"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number")


@dataclass(frozen=True, slots=True)
class Statistics:
    query: StatsQuery
    rows: tuple[StatsRow, ...]
    """Per bucket and group, buckets with no request left out, in order."""
    totals: tuple[StatsRow, ...]
    """Per group over the whole range (one row when not grouped)."""
