"""What the record routes answer: JSON views of wrap-ups, satisfaction, search
results and statistics, the statistics CSV, and Open311 GeoReport v2 requests."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from counseling.case_search import CaseListing
from counseling.records import (
    CaseRecord,
    Disposition,
    Feedback,
    Taxonomy,
    Wrapup,
)
from counseling.statistics import Statistics, StatsRow

OPEN311_UNCATEGORIZED = "uncategorized"


def iso(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return None if moment is None else moment.astimezone(tz).isoformat()


def taxonomy_view(taxonomy: Taxonomy) -> dict[str, Any]:
    return {
        "categories": [
            {"code": c.code, "ko": c.ko, "en": c.en, "active": c.active}
            for c in taxonomy.categories
        ],
        "dispositions": [d.value for d in Disposition],
    }


def wrapup_view(w: Wrapup, tz: ZoneInfo) -> dict[str, Any]:
    """The wrap-up, summary included: callers audit the read."""
    return {
        "case_id": w.case_id,
        "category": w.category,
        "summary": w.summary,
        "disposition": w.disposition.value,
        "forwarded_to": w.forwarded_to,
        "follow_up_owner": w.follow_up_owner,
        "written_by": w.written_by,
        "written_at": iso(w.written_at, tz),
        "updated_at": iso(w.updated_at, tz),
    }


def feedback_view(f: Feedback, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "score": f.score,
        "comment": f.comment,
        "answered_at": iso(f.answered_at, tz),
        "expires_at": iso(f.expires_at, tz),
    }


def record_view(r: CaseRecord, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "case_id": r.case_id,
        "wrapup": None if r.wrapup is None else wrapup_view(r.wrapup, tz),
        "feedback": None if r.feedback is None else feedback_view(r.feedback, tz),
        "erased_at": iso(r.erased_at, tz),
    }


def listing_view(c: CaseListing, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": c.id,
        "service": c.service,
        "language": c.language,
        "channel": c.channel,
        "status": c.status,
        "requested_at": iso(c.requested_at, tz),
        "answered_at": iso(c.answered_at, tz),
        "ended_at": iso(c.ended_at, tz),
        "interpreter_id": c.interpreter_id,
        "interpreter_name": c.interpreter_name,
        "end_reason": c.end_reason,
        "wait_seconds": c.wait_seconds,
        "handle_seconds": c.handle_seconds,
        "category": c.category,
        "disposition": c.disposition,
        "score": c.score,
    }


# -- statistics ----------------------------------------------------------------------

FIGURES = (
    "requests",
    "answered",
    "abandoned",
    "unanswered",
    "answered_within_60",
    "answered_within_120",
    "wait_average",
    "wait_p90",
    "handle_average",
    "satisfaction_count",
    "satisfaction_average",
)


def stats_row_view(row: StatsRow, tz: ZoneInfo) -> dict[str, Any]:
    return (
        {
            "bucket": iso(row.bucket, tz),
            "service": row.service,
            "language": row.language,
            "channel": row.channel,
        }
        | {name: getattr(row, name) for name in FIGURES}
        | {"satisfaction": list(row.satisfaction)}
    )


def statistics_view(stats: Statistics) -> dict[str, Any]:
    query = stats.query
    tz = query.range.tz
    return {
        "time_zone": tz.key,
        "from": query.range.first.isoformat(),
        "to": query.range.last.isoformat(),
        "by": query.range.granularity.value,
        "filter": {
            "service": None if query.filter.service is None else query.filter.service,
            "language": None
            if query.filter.language is None
            else query.filter.language,
            "channel": query.filter.channel,
        },
        "group": [d.value for d in query.group_by],
        "buckets": [iso(b, tz) for b in query.range.buckets()],
        "rows": [stats_row_view(r, tz) for r in stats.rows],
        "totals": [stats_row_view(r, tz) for r in stats.totals],
    }


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def statistics_csv(stats: Statistics) -> str:
    """One line per bucket and group, then one per group for the whole range
    (``total`` in the first column); seconds and averages to one decimal."""
    tz = stats.query.range.tz
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "bucket",
            "service",
            "language",
            "channel",
            *FIGURES,
            *(f"score_{n}" for n in range(1, 6)),
        ]
    )

    def line(first: str, row: StatsRow) -> list[str]:
        figures = [
            _number(value) if isinstance(value, float) or value is None else str(value)
            for value in (getattr(row, name) for name in FIGURES)
        ]
        return [
            first,
            row.service or "",
            row.language or "",
            row.channel or "",
            *figures,
            *(str(n) for n in row.satisfaction),
        ]

    for row in stats.rows:
        writer.writerow(line(iso(row.bucket, tz) or "", row))
    for row in stats.totals:
        writer.writerow(line("total", row))
    return out.getvalue()


# -- Open311 GeoReport v2 ------------------------------------------------------------

_STATUS_NOTES = {
    Disposition.ANSWERED: "Answered during the consultation",
    Disposition.FORWARDED: "Forwarded to {who}",
    Disposition.FOLLOW_UP: "Follow-up by {who}",
}


def open311_view(
    c: CaseListing, w: Wrapup | None, taxonomy: Taxonomy, tz: ZoneInfo
) -> dict[str, Any]:
    """A case as a GeoReport v2 service request. The citizen's location is never
    asked, so the location fields are null; ``description`` is the wrap-up
    summary (personal data: callers audit the export)."""
    category = None if w is None else taxonomy.get(w.category)
    updated = max(
        (m for m in (c.ended_at, None if w is None else w.updated_at) if m),
        default=c.answered_at or c.requested_at,
    )
    notes = None
    if w is not None:
        who = w.forwarded_to or w.follow_up_owner or ""
        notes = _STATUS_NOTES[w.disposition].format(who=who)
    return {
        "service_request_id": c.id,
        "status": "closed" if c.status == "ended" else "open",
        "status_notes": notes,
        "service_name": "Uncategorized"
        if w is None
        else (w.category if category is None else category.en),
        "service_code": OPEN311_UNCATEGORIZED if w is None else w.category,
        "description": None if w is None else w.summary,
        "agency_responsible": None if w is None else w.forwarded_to,
        "service_notice": None,
        "requested_datetime": iso(c.requested_at, tz),
        "updated_datetime": iso(updated, tz),
        "expected_datetime": None,
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def open311_body(
    found: Sequence[tuple[CaseListing, Wrapup | None]],
    taxonomy: Taxonomy,
    tz: ZoneInfo,
) -> list[dict[str, Any]]:
    return [open311_view(c, w, taxonomy, tz) for c, w in found]
