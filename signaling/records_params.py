"""What the record routes accept: request bodies, and query parameters read into
the core's values, each refusal naming its parameter."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from counseling.case_search import CaseSearch
from counseling.records import Disposition, Taxonomy, UnknownCategory
from counseling.services import Language, Service
from counseling.statistics import (
    Dimension,
    Granularity,
    StatsFilter,
    StatsQuery,
    StatsRange,
)
from signaling.refusals import Refused, parse_body, refusal

_Body = TypeVar("_Body", bound=BaseModel)
Query = Mapping[str, str]


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WrapupBody(StrictBody):
    category: str = Field(min_length=1, max_length=40)
    summary: str | None = Field(default=None, max_length=20_000)
    disposition: Disposition
    forwarded_to: str | None = Field(default=None, max_length=1000)
    follow_up_owner: str | None = Field(default=None, max_length=1000)


class FeedbackBody(StrictBody):
    token: str = Field(pattern=r"^[0-9a-f]{32}$")
    score: StrictInt
    comment: str | None = Field(default=None, max_length=10_000)


async def parse(
    request: web.Request, model: type[_Body], codes: Mapping[str, str]
) -> _Body:
    """The JSON body as ``model``, or Refused naming the first bad field (with the
    code ``codes`` gives that field, else ``invalid_payload``)."""
    return await parse_body(request, model, codes)


def bad(code: str, name: str, message: str) -> Refused:
    return Refused(refusal(400, code, f"{name}: {message}", name))


def day_param(query: Query, name: str) -> date | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise bad("invalid_field", name, "a date like 2026-11-26") from None


def service_param(query: Query) -> Service | None:
    raw = query.get("service")
    try:
        return None if not raw else Service(raw)
    except ValueError:
        raise bad("unknown_service", "service", "not a service") from None


def language_param(query: Query) -> Language | None:
    raw = query.get("language")
    try:
        return None if not raw else Language(raw)
    except ValueError:
        raise bad("unknown_language", "language", "not a language") from None


def instant_param(query: Query, name: str, default: datetime) -> datetime:
    """A W3C date and time with an offset (``Z`` allowed), as Open311 sends."""
    raw = query.get(name)
    if not raw:
        return default
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise bad("invalid_field", name, "a date and time with an offset (W3C)")
    return moment


def local_day_start(day: date, tz: ZoneInfo) -> datetime:
    return StatsRange(day, day, Granularity.DAY, tz).start


def stats_query(query: Query, today: date, tz: ZoneInfo) -> StatsQuery:
    """``from``/``to`` (local dates, inclusive; the last 7 days by default, or
    today by hour), ``by``, ``service``, ``language``, ``channel``, ``group``."""
    try:
        by = Granularity(query.get("by") or "day")
    except ValueError:
        raise bad("invalid_field", "by", "day or hour") from None
    last = day_param(query, "to") or today
    days_back = 6 if by is Granularity.DAY else 0
    first = day_param(query, "from") or last - timedelta(days=days_back)
    try:
        group = tuple(Dimension(d) for d in (query.get("group") or "").split(",") if d)
    except ValueError:
        raise bad("invalid_field", "group", "service, language, channel") from None
    chosen = StatsFilter(
        service_param(query), language_param(query), query.get("channel") or None
    )
    return StatsQuery(StatsRange(first, last, by, tz), chosen, group)


def case_search(
    query: Query, interpreter_id: str | None, taxonomy: Taxonomy, tz: ZoneInfo
) -> CaseSearch:
    """The search filters: ``from``/``to`` (local dates, inclusive), ``service``,
    ``language``, ``category``, ``disposition``; the interpreter is decided by
    the caller (it depends on who asks)."""
    category = query.get("category") or None
    if category is not None and taxonomy.get(category) is None:
        raise UnknownCategory(category)
    raw = query.get("disposition")
    try:
        disposition = None if not raw else Disposition(raw)
    except ValueError:
        raise bad(
            "invalid_field", "disposition", "answered, forwarded or follow_up"
        ) from None
    first, last = day_param(query, "from"), day_param(query, "to")
    return CaseSearch(
        start=None if first is None else local_day_start(first, tz),
        end=None if last is None else local_day_start(last + timedelta(days=1), tz),
        service=service_param(query),
        language=language_param(query),
        interpreter_id=interpreter_id,
        category=category,
        disposition=disposition,
    )
