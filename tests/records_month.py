"""A seeded month of counseling cases at the real center's daily volumes, written
in bulk, and the statistics expected of it, worked out here in plain Python
(independently of the SQL under test)."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from counseling.records import DEFAULT_TAXONOMY
from storage.database import Database
from storage.models import Base, CaseFeedbackRow, CaseRow, CaseWrapupRow

SEOUL = ZoneInfo("Asia/Seoul")
# Consultations a day at the real center (BRIEF.md): sign-language video,
# foreign-language video and text chat.
DAILY = {
    ("sign_language", "video"): (65, 126),
    ("foreign_language", "video"): (87, 168),
    ("chat", "chat"): (2100, 2545),
}
FOREIGN = ("en", "zh", "ja", "vi", "mn")
FOREIGN_WEIGHTS = (35, 30, 10, 15, 10)
# Requests by local hour: a morning and an afternoon peak.
HOUR_WEIGHTS = {
    9: 8, 10: 12, 11: 11, 12: 7, 13: 9, 14: 12, 15: 11, 16: 10, 17: 8,
    18: 5, 19: 4, 20: 3, 21: 2,
}  # fmt: skip
WEEKEND_LAST_HOUR = 17  # sign language and chat close at 18:00 on weekends
SCORE_WEIGHTS = (2, 2, 5, 31, 60)  # about 91% satisfied (4 or 5)
CATEGORIES = [c.code for c in DEFAULT_TAXONOMY.categories]
DISPOSITIONS = ("answered", "forwarded", "follow_up")


@dataclass(frozen=True, slots=True)
class SeededCase:
    id: str
    service: str
    language: str
    channel: str
    requested_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    interpreter_id: str | None
    score: int | None
    asked: bool
    category: str | None
    disposition: str | None

    @property
    def status(self) -> str:
        if self.ended_at is not None:
            return "ended"
        return "in_session" if self.answered_at is not None else "waiting"

    @property
    def wait_seconds(self) -> float | None:
        until = self.answered_at or self.ended_at
        return None if until is None else (until - self.requested_at).total_seconds()

    @property
    def handle_seconds(self) -> float | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.answered_at).total_seconds()


def _one(
    rng: random.Random,
    seq: int,
    service: str,
    channel: str,
    requested: datetime,
    interpreters: Sequence[str],
    still_open: bool,
) -> SeededCase:
    language = (
        "ksl"
        if service == "sign_language"
        else "ko"
        if service == "chat"
        else rng.choices(FOREIGN, FOREIGN_WEIGHTS)[0]
    )
    mean_wait = 35.0 if channel == "chat" else 70.0
    wait = timedelta(microseconds=int(rng.expovariate(1 / mean_wait) * 1e6) + 1)
    outcome = rng.random()
    answered = ended = reason = None
    interpreter = score = category = disposition = None
    asked = False
    if outcome < 0.89:
        answered = requested + wait
        interpreter = rng.choice(interpreters)
        minutes = rng.lognormvariate(math.log(9 if channel == "chat" else 6), 0.5)
        if not still_open:
            ended = answered + timedelta(seconds=round(minutes * 60, 3))
            reason = "completed" if rng.random() < 0.97 else "connection_lost"
            asked = rng.random() < 0.7
            if asked and rng.random() < 0.8:
                score = rng.choices(range(1, 6), SCORE_WEIGHTS)[0]
            if rng.random() < 0.9:
                category = rng.choice(CATEGORIES)
                disposition = rng.choices(DISPOSITIONS, (70, 20, 10))[0]
    elif not still_open:
        ended = requested + wait * 2
        reason = (
            rng.choice(("citizen_cancelled", "citizen_left_while_waiting"))
            if outcome < 0.97
            else rng.choice(("declined_by_all", "service_interrupted"))
        )
    return SeededCase(
        id=f"{seq:032x}",
        service=service,
        language=language,
        channel=channel,
        requested_at=requested,
        answered_at=answered,
        ended_at=ended,
        end_reason=reason,
        interpreter_id=interpreter,
        score=score,
        asked=asked,
        category=category,
        disposition=disposition,
    )


def generate_month(
    seed: int,
    first: date,
    days: int,
    interpreters: Sequence[str],
    scale: float = 1.0,
) -> list[SeededCase]:
    """``days`` days of cases from ``first`` (Seoul), ``scale`` times the real
    volumes; the last requests of the last day are still open."""
    rng = random.Random(seed)
    cases: list[SeededCase] = []
    hours = list(HOUR_WEIGHTS)
    weights = list(HOUR_WEIGHTS.values())
    for n in range(days):
        day = first + timedelta(days=n)
        weekend = day.weekday() >= 5
        for (service, channel), (low, high) in DAILY.items():
            for _ in range(round(rng.randint(low, high) * scale)):
                hour = rng.choices(hours, weights)[0]
                if weekend and service != "foreign_language":
                    hour = min(hour, WEEKEND_LAST_HOUR)
                local = datetime.combine(day, time(hour), SEOUL) + timedelta(
                    seconds=rng.uniform(0, 3600)
                )
                still_open = n == days - 1 and hour == 21 and rng.random() < 0.3
                cases.append(
                    _one(
                        rng,
                        len(cases) + 1 + seed * 10_000_000,
                        service,
                        channel,
                        local.astimezone(UTC),
                        interpreters,
                        still_open,
                    )
                )
    return cases


async def insert_month(db: Database, cases: Sequence[SeededCase]) -> None:
    """Bulk inserts (executemany): cases, wrap-ups and satisfaction rows."""

    def chunks(rows: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
        for start in range(0, len(rows), 2000):
            yield rows[start : start + 2000]

    case_rows = [
        {
            "id": c.id,
            "service": c.service,
            "language": c.language,
            "channel": c.channel,
            "status": c.status,
            "requested_at": c.requested_at,
            "offered_at": None if c.answered_at is None else c.requested_at,
            "answered_at": c.answered_at,
            "ended_at": c.ended_at,
            "interpreter_id": c.interpreter_id,
            "end_reason": c.end_reason,
            "ended_by": None if c.ended_at is None else "citizen",
            "wait_seconds": c.wait_seconds,
            "handle_seconds": c.handle_seconds,
        }
        for c in cases
    ]
    wrapups = [
        {
            "case_id": c.id,
            "category": c.category,
            "summary": f"seeded summary {c.id[-6:]}",
            "disposition": c.disposition,
            "forwarded_to": "Transport bureau"
            if c.disposition == "forwarded"
            else None,
            "follow_up_owner": "Team 3" if c.disposition == "follow_up" else None,
            "written_by": c.interpreter_id,
            "written_at": c.ended_at,
            "updated_at": c.ended_at,
        }
        for c in cases
        if c.category is not None
    ]
    feedback = [
        {
            "token_hash": f"{c.id}{c.id}",
            "case_id": c.id,
            "expires_at": c.ended_at + timedelta(hours=24),  # type: ignore[operator]
            "score": c.score,
            "comment": None,
            "answered_at": None
            if c.score is None
            else c.ended_at + timedelta(minutes=1),  # type: ignore[operator]
        }
        for c in cases
        if c.asked
    ]
    async with db.engine.begin() as connection:
        for table, rows in (
            (CaseRow, case_rows),
            (CaseWrapupRow, wrapups),
            (CaseFeedbackRow, feedback),
        ):
            for chunk in chunks(rows):
                core = Base.metadata.tables[table.__tablename__]
                await connection.execute(insert(core), chunk)


# -- the expected figures --------------------------------------------------------------

ABANDONED = ("citizen_cancelled", "citizen_left_while_waiting")


def nearest_rank_p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(len(ordered) * 9 / 10) - 1]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def figures(cases: list[SeededCase]) -> dict[str, Any]:
    answered = [c for c in cases if c.answered_at is not None]
    waits = [c.wait_seconds for c in answered if c.wait_seconds is not None]
    unanswered_ended = [c for c in cases if c.answered_at is None and c.ended_at]
    scores = [c.score for c in cases if c.score is not None]
    return {
        "requests": len(cases),
        "answered": len(answered),
        "abandoned": sum(c.end_reason in ABANDONED for c in unanswered_ended),
        "unanswered": sum(c.end_reason not in ABANDONED for c in unanswered_ended),
        "answered_within_60": sum(w <= 60 for w in waits),
        "answered_within_120": sum(w <= 120 for w in waits),
        "wait_average": _mean(waits),
        "wait_p90": nearest_rank_p90(waits),
        "handle_average": _mean(
            [c.handle_seconds for c in cases if c.handle_seconds is not None]
        ),
        "satisfaction_count": len(scores),
        "satisfaction_average": _mean([float(s) for s in scores]),
        "satisfaction": [scores.count(n) for n in range(1, 6)],
    }


def expected(
    cases: Sequence[SeededCase],
    first: date,
    last: date,
    by: str | None,
    group: Sequence[str] = (),
    only: Mapping[str, str] | None = None,
) -> dict[tuple[str | None, ...], dict[str, Any]]:
    """Figures keyed by (local bucket start ISO or None, *group values), of the
    cases whose fields match ``only``."""
    only = only or {}
    start = datetime.combine(first, time(0), SEOUL)
    end = datetime.combine(last + timedelta(days=1), time(0), SEOUL)
    grouped: dict[tuple[str | None, ...], list[SeededCase]] = defaultdict(list)
    for c in cases:
        if not start <= c.requested_at < end:
            continue
        if any(getattr(c, name) != value for name, value in only.items()):
            continue
        local = c.requested_at.astimezone(SEOUL)
        bucket = (
            None
            if by is None
            else local.replace(minute=0, second=0, microsecond=0)
            if by == "hour"
            else local.replace(hour=0, minute=0, second=0, microsecond=0)
        )
        stamp = None if bucket is None else bucket.isoformat()
        key = (stamp, *(getattr(c, name) for name in group))
        grouped[key].append(c)
    return {key: figures(found) for key, found in grouped.items()}
