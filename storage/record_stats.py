"""Case statistics in SQL on SQLite and PostgreSQL: one grouped query per call,
buckets in the center's local time, the 90th percentile by a window function.

The definitions are in ``counseling.statistics``; nothing here loads cases.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Float,
    Row,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from counseling.statistics import (
    ABANDONED_REASONS,
    ANSWER_TARGETS,
    Dimension,
    Granularity,
    Statistics,
    StatsQuery,
    StatsRow,
    offset_segments,
)
from storage.models import CaseFeedbackRow, CaseRow

_DIMENSION_COLUMNS = {
    Dimension.SERVICE: CaseRow.service,
    Dimension.LANGUAGE: CaseRow.language,
    Dimension.CHANNEL: CaseRow.channel,
}
_SQLITE_FORMAT = {Granularity.DAY: "%Y-%m-%d", Granularity.HOUR: "%Y-%m-%d %H:00"}
_ABANDONED = [reason.value for reason in ABANDONED_REASONS]


def _bucket(dialect: str, query: StatsQuery) -> ColumnElement[Any]:
    """The request time's local day or hour, as the database can write it."""
    span = query.range
    if dialect == "postgresql":
        local = func.timezone(span.tz.key, CaseRow.requested_at)
        return func.date_trunc(span.granularity.value, local, type_=DateTime())
    # SQLite knows no zones: shift by the offset in force at each request.
    pieces = offset_segments(span.start, span.end, span.tz)
    modifier: ColumnElement[Any] = literal(f"{pieces[-1][1]:+d} seconds")
    if len(pieces) > 1:
        modifier = case(
            *(
                (CaseRow.requested_at < until, f"{offset:+d} seconds")
                for (_, offset), (until, _) in itertools.pairwise(pieces)
            ),
            else_=modifier,
        )
    fmt = _SQLITE_FORMAT[span.granularity]
    return func.strftime(fmt, CaseRow.requested_at, modifier)


def _select(dialect: str, query: StatsQuery, bucketed: bool) -> Select[Any]:
    dims = [_DIMENSION_COLUMNS[d].label(d.value) for d in query.group_by]
    bucket = _bucket(dialect, query) if bucketed else null()
    answered_flag = case((CaseRow.answered_at.is_not(None), 1), else_=0)
    group = [*([bucket] if bucketed else []), *(d.element for d in dims)]
    where = [
        CaseRow.requested_at >= query.range.start,
        CaseRow.requested_at < query.range.end,
    ]
    wanted = query.filter
    if wanted.service is not None:
        where.append(CaseRow.service == wanted.service.value)
    if wanted.language is not None:
        where.append(CaseRow.language == wanted.language.value)
    if wanted.channel is not None:
        where.append(CaseRow.channel == wanted.channel)
    cases = (
        select(
            bucket.label("bucket"),
            *dims,
            CaseRow.status,
            CaseRow.end_reason,
            CaseRow.answered_at,
            CaseRow.wait_seconds,
            CaseRow.handle_seconds,
            CaseFeedbackRow.score,
            func.row_number()
            .over(partition_by=[*group, answered_flag], order_by=CaseRow.wait_seconds)
            .label("wait_rank"),
            func.count().over(partition_by=[*group, answered_flag]).label("group_size"),
        )
        .select_from(CaseRow)
        .outerjoin(
            CaseFeedbackRow,
            and_(
                CaseFeedbackRow.case_id == CaseRow.id,
                CaseFeedbackRow.score.is_not(None),
            ),
        )
        .where(*where)
        .subquery()
    )
    answered = cases.c.answered_at.is_not(None)
    unanswered_end = and_(cases.c.answered_at.is_(None), cases.c.status == "ended")

    def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    keys = [cases.c.bucket, *(cases.c[d.value] for d in query.group_by)]
    return (
        select(
            *keys,
            func.count().label("requests"),
            count_if(answered).label("answered"),
            count_if(and_(unanswered_end, cases.c.end_reason.in_(_ABANDONED))).label(
                "abandoned"
            ),
            count_if(and_(unanswered_end, cases.c.end_reason.not_in(_ABANDONED))).label(
                "unanswered"
            ),
            *(
                count_if(and_(answered, cases.c.wait_seconds <= target)).label(
                    f"within_{target}"
                )
                for target in ANSWER_TARGETS
            ),
            func.avg(case((answered, cases.c.wait_seconds))).label("wait_average"),
            func.min(
                case(
                    (
                        and_(
                            answered, cases.c.wait_rank * 10 >= cases.c.group_size * 9
                        ),
                        cases.c.wait_seconds,
                    )
                )
            ).label("wait_p90"),
            func.avg(cases.c.handle_seconds).label("handle_average"),
            func.count(cases.c.score).label("satisfaction_count"),
            func.avg(cast(cases.c.score, Float)).label("satisfaction_average"),
            *(
                count_if(cases.c.score == score).label(f"score_{score}")
                for score in range(1, 6)
            ),
        )
        .group_by(*keys)
        .order_by(*keys)
    )


def _local(value: object, tz: ZoneInfo) -> datetime | None:
    """A bucket as the database wrote it, as an aware local time."""
    if value is None:
        return None
    if isinstance(value, str):
        parsed = (
            datetime.combine(date.fromisoformat(value), datetime.min.time())
            if len(value) == 10
            else datetime.fromisoformat(value)
        )
        return parsed.replace(tzinfo=tz)
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz)
    raise TypeError(f"unexpected bucket {value!r}")


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _read(row: Row[Any], query: StatsQuery) -> StatsRow:
    data = row._mapping
    dims = {d.value: data[d.value] for d in query.group_by}
    return StatsRow(
        bucket=_local(data["bucket"], query.range.tz),
        service=dims.get("service"),
        language=dims.get("language"),
        channel=dims.get("channel"),
        requests=int(data["requests"]),
        answered=int(data["answered"]),
        abandoned=int(data["abandoned"]),
        unanswered=int(data["unanswered"]),
        answered_within_60=int(data["within_60"]),
        answered_within_120=int(data["within_120"]),
        wait_average=_float(data["wait_average"]),
        wait_p90=_float(data["wait_p90"]),
        handle_average=_float(data["handle_average"]),
        satisfaction_count=int(data["satisfaction_count"]),
        satisfaction_average=_float(data["satisfaction_average"]),
        satisfaction=(
            int(data["score_1"]),
            int(data["score_2"]),
            int(data["score_3"]),
            int(data["score_4"]),
            int(data["score_5"]),
        ),
    )


async def _rows(
    session: AsyncSession, query: StatsQuery, bucketed: bool
) -> Sequence[StatsRow]:
    dialect = session.get_bind().dialect.name
    result = await session.execute(_select(dialect, query, bucketed))
    return [_read(row, query) for row in result]


async def statistics(session: AsyncSession, query: StatsQuery) -> Statistics:
    """The figures per bucket and group, and per group over the whole range."""
    rows = await _rows(session, query, bucketed=True)
    totals = await _rows(session, query, bucketed=False)
    return Statistics(query, tuple(rows), tuple(totals))
