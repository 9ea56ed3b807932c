"""HTTP routes of the counseling record: wrap-ups, the citizen's satisfaction,
case search, statistics (JSON and CSV), the Open311 export and their pages."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from counseling.case_search import SearchCursor
from counseling.cases import Case
from counseling.ports import CaseRecords, CaseRepository
from counseling.records import (
    FEEDBACK_VALID_FOR,
    FeedbackInvite,
    RecordError,
    Taxonomy,
    WrapupDraft,
    feedback_token_hash,
)
from counseling.staff import StaffAccount, StaffRole
from counseling.statistics import StatisticsError
from signaling.auth import COOKIE_NAME, Authenticator
from signaling.http import CASE_ID, may_read, page
from signaling.records_params import (
    FeedbackBody,
    WrapupBody,
    bad,
    case_search,
    instant_param,
    parse,
    stats_query,
)
from signaling.records_views import (
    listing_view,
    open311_body,
    record_view,
    statistics_csv,
    statistics_view,
    taxonomy_view,
    wrapup_view,
)
from signaling.scheduling import Refused, refusal

audit = logging.getLogger("dasan.audit")

OPEN311_MAX_DAYS = 90
OPEN311_LIMIT = 1000

# The HTTP status of each refusal; docs/openapi.yaml lists the same codes.
STATUS: dict[str, int] = {
    "invalid_payload": 400,
    "invalid_field": 400,
    "unknown_category": 400,
    "invalid_score": 400,
    "unknown_service": 400,
    "unknown_language": 400,
    "range_reversed": 400,
    "range_too_long": 400,
    "not_found": 404,
    "feedback_token_unknown": 404,
    "case_not_answered": 409,
    "case_erased": 409,
    "feedback_used": 409,
    "feedback_expired": 410,
}


@dataclass(frozen=True, slots=True)
class RecordsRuntime:
    records: CaseRecords
    cases: CaseRepository
    auth: Authenticator
    taxonomy: Callable[[], Taxonomy]
    tz: ZoneInfo
    clock: Callable[[], datetime]
    feedback_valid_for: timedelta = FEEDBACK_VALID_FOR

    async def invite_feedback(self, case_id: str) -> FeedbackInvite:
        """A one-time satisfaction link for an answered case; the token goes to
        the citizen only, the store keeps its hash. Raises CaseNotFound,
        CaseNotAnswered or FeedbackUsed."""
        invite = FeedbackInvite.new(self.clock(), self.feedback_valid_for)
        await self.records.issue_feedback(case_id, invite.token_hash, invite.expires_at)
        return invite


RECORDS = web.AppKey("records", RecordsRuntime)


def refused(exc: RecordError | StatisticsError) -> web.Response:
    return refusal(STATUS.get(exc.code, 400), exc.code, str(exc), exc.field)


def handles(handler: Callable[[web.Request], Any]) -> Callable[[web.Request], Any]:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except Refused as stop:
            return stop.response
        except (RecordError, StatisticsError) as exc:
            return refused(exc)
        return response

    return wrapped


def runtime(request: web.Request) -> RecordsRuntime:
    return request.app[RECORDS]


async def signed_in(request: web.Request) -> StaffAccount:
    account = await runtime(request).auth.account_for(request.cookies.get(COOKIE_NAME))
    if account is None:
        raise Refused(
            refusal(401, "not_signed_in", "sign in to the staff console", None)
        )
    return account


async def supervisor(request: web.Request) -> StaffAccount:
    account = await signed_in(request)
    if account.role is not StaffRole.SUPERVISOR:
        raise Refused(refusal(403, "forbidden", "only supervisors see this", None))
    return account


async def readable_case(request: web.Request, account: StaffAccount) -> Case:
    case = await runtime(request).cases.get(request.match_info["case_id"])
    if case is None:
        raise Refused(refusal(404, "not_found", "no such case", "case_id"))
    if not may_read(account, case):
        audit.warning("staff %s was refused the record of case %s", account.id, case.id)
        raise Refused(refusal(403, "forbidden", "you may not read this case", None))
    return case


def _today(request: web.Request) -> date:
    rt = runtime(request)
    return rt.clock().astimezone(rt.tz).date()


# -- routes ------------------------------------------------------------------------


async def get_taxonomy(request: web.Request) -> web.Response:
    await signed_in(request)
    return web.json_response(taxonomy_view(runtime(request).taxonomy()))


async def search_cases(request: web.Request) -> web.Response:
    account = await signed_in(request)
    rt = runtime(request)
    q = request.query
    interpreter = q.get("interpreter") or None
    if account.role is StaffRole.INTERPRETER:
        if interpreter not in (None, account.id):
            raise Refused(
                refusal(403, "forbidden", "interpreters search their own cases", None)
            )
        interpreter = account.id
    elif account.role is not StaffRole.SUPERVISOR:
        raise Refused(refusal(403, "forbidden", "only supervisors search cases", None))
    raw = q.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        raise bad("invalid_field", "limit", "a whole number 1-200")
    filters = case_search(q, interpreter, rt.taxonomy(), rt.tz)
    cursor = None if not q.get("cursor") else SearchCursor.decode(q["cursor"])
    found = await rt.records.search(filters, int(raw), cursor)
    audit.info("staff %s searched cases: %d found", account.id, len(found.cases))
    return web.json_response(
        {
            "time_zone": rt.tz.key,
            "cases": [listing_view(c, rt.tz) for c in found.cases],
            "next_cursor": None
            if found.next_cursor is None
            else found.next_cursor.encode(),
        }
    )


async def list_interpreters(request: web.Request) -> web.Response:
    await supervisor(request)
    people = await runtime(request).records.interpreters()
    return web.json_response(
        {"interpreters": [{"id": i, "display_name": name} for i, name in people]}
    )


async def get_record(request: web.Request) -> web.Response:
    account = await signed_in(request)
    case = await readable_case(request, account)
    rt = runtime(request)
    record = await rt.records.record(case.id)
    audit.info("staff %s read the record of case %s", account.id, case.id)
    return web.json_response(record_view(record, rt.tz))


async def put_wrapup(request: web.Request) -> web.Response:
    account = await signed_in(request)
    case = await readable_case(request, account)
    if account.role is not StaffRole.SUPERVISOR and case.interpreter_id != account.id:
        audit.warning(
            "staff %s was refused the wrap-up of case %s", account.id, case.id
        )
        raise Refused(
            refusal(
                403,
                "forbidden",
                "only the interpreter who answered, or a supervisor",
                None,
            )
        )
    body = await parse(request, WrapupBody, {"category": "unknown_category"})
    rt = runtime(request)
    draft = WrapupDraft.create(
        rt.taxonomy(),
        body.category,
        body.summary,
        body.disposition,
        body.forwarded_to,
        body.follow_up_owner,
    )
    wrapup = await rt.records.save_wrapup(case.id, draft, account.id, rt.clock())
    audit.info("staff %s wrote the wrap-up of case %s", account.id, case.id)
    return web.json_response(wrapup_view(wrapup, rt.tz))


async def post_feedback(request: web.Request) -> web.Response:
    body = await parse(request, FeedbackBody, {"score": "invalid_score"})
    rt = runtime(request)
    feedback = await rt.records.give_feedback(
        feedback_token_hash(body.token), body.score, body.comment, rt.clock()
    )
    # The case id and the score only: the comment is the citizen's own words.
    log_comment = "with" if feedback.comment else "without"
    audit.info(
        "a citizen rated case %s %d of 5 (%s a comment)",
        feedback.case_id,
        feedback.score,
        log_comment,
    )
    return web.Response(status=204)


async def get_statistics(request: web.Request) -> web.Response:
    await supervisor(request)
    rt = runtime(request)
    stats = await rt.records.statistics(
        stats_query(request.query, _today(request), rt.tz)
    )
    return web.json_response(statistics_view(stats))


async def get_statistics_csv(request: web.Request) -> web.Response:
    await supervisor(request)
    rt = runtime(request)
    query = stats_query(request.query, _today(request), rt.tz)
    stats = await rt.records.statistics(query)
    span = query.range
    name = f"dasan-statistics-{span.first}-{span.last}-{span.granularity.value}.csv"
    # A byte order mark, so spreadsheet programs read the file as UTF-8.
    return web.Response(
        body=("\ufeff" + statistics_csv(stats)).encode(),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


async def get_open311(request: web.Request) -> web.Response:
    account = await supervisor(request)
    rt = runtime(request)
    now = rt.clock()
    end = instant_param(request.query, "end_date", now)
    start = instant_param(
        request.query, "start_date", end - timedelta(days=OPEN311_MAX_DAYS)
    )
    if end < start:
        raise bad("range_reversed", "end_date", "before start_date")
    if end - start > timedelta(days=OPEN311_MAX_DAYS):
        raise bad("range_too_long", "end_date", f"at most {OPEN311_MAX_DAYS} days")
    status = request.query.get("status") or None
    if status not in (None, "open", "closed"):
        raise bad("invalid_field", "status", "open or closed")
    category = request.query.get("service_code") or None
    found = await rt.records.open311(
        start,
        end,
        OPEN311_LIMIT,
        category=category,
        closed=None if status is None else status == "closed",
    )
    audit.info("staff %s exported %d cases as Open311 requests", account.id, len(found))
    return web.json_response(open311_body(found, rt.taxonomy(), rt.tz))


def add_record_routes(app: web.Application, static_dir: Path) -> None:
    """Register the record routes and the case and statistics pages."""
    case = f"/api/cases/{{case_id:{CASE_ID}}}"
    routes = [
        ("GET", "/api/taxonomy", get_taxonomy),
        ("GET", "/api/cases/search", search_cases),
        ("GET", "/api/cases/interpreters", list_interpreters),
        ("GET", f"{case}/record", get_record),
        ("PUT", f"{case}/wrapup", put_wrapup),
        ("POST", "/api/feedback", post_feedback),
        ("GET", "/api/statistics", get_statistics),
        ("GET", "/api/statistics.csv", get_statistics_csv),
        ("GET", "/api/open311/requests.json", get_open311),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, handles(handler))
    app.router.add_get("/cases", page(static_dir / "cases.html"))
    app.router.add_get("/stats", page(static_dir / "stats.html"))
