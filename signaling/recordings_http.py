"""HTTP routes of a case's recordings: the list, play (HTTP ranges, so a video
element can seek) and download, decrypted as they stream and never written in
clear; combined videos made on request; and the access audit supervisors read.

Every access and every refused attempt is written to the access audit (and to
the ``dasan.audit`` logger, ids only), a viewing once: the Range requests of a
seeking player add no row for ``PLAY_AUDIT_WINDOW`` after an audited play. Bad
input (a malformed or unknown id, a reversed range) is answered with a stable
code and writes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from counseling.cases import Case
from counseling.ports import CaseRepository
from counseling.staff import StaffAccount, StaffRole
from signaling.auth import COOKIE_NAME, Authenticator
from signaling.recording_ports import (
    SUFFIXES,
    AuditAction,
    AuditRecord,
    CompositeJob,
    RecordingInfo,
    RecordingLibrary,
    RecordingsError,
    may_access_recordings,
)
from signaling.scheduling import Refused, refusal

audit = logging.getLogger("dasan.audit")

ID = re.compile(r"^[0-9a-f]{32}$")
CHUNK = 256 * 1024
AUDIT_MAX_DAYS = 366
# A video element that seeks sends dozens of Range requests for one viewing; a
# Range play by the same account of the same recording within this long after
# an audited play writes no new row (a download, a play without Range and a
# refusal always do). The window is read from the audit table itself, not kept
# in process memory: several ``dasan serve`` processes may answer one viewer's
# requests, and a restart must not reopen it.
PLAY_AUDIT_WINDOW = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class RecordingsRuntime:
    library: RecordingLibrary
    cases: CaseRepository
    auth: Authenticator
    tz: ZoneInfo
    clock: Callable[[], datetime]


RECORDINGS = web.AppKey("recordings", RecordingsRuntime)


class AuditQuery(BaseModel):
    """``GET /api/recordings/audit``: a case, a range of days (center time), a limit."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    case_id: str | None = Field(default=None, pattern=ID.pattern)
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    limit: int = Field(default=200, ge=1, le=1000)


def runtime(request: web.Request) -> RecordingsRuntime:
    return request.app[RECORDINGS]


def _bad(status: int, code: str, message: str, field: str | None = None) -> Refused:
    return Refused(refusal(status, code, message, field))


def _id(request: web.Request, name: str) -> str:
    value = request.match_info[name]
    if not ID.match(value):
        raise _bad(400, "invalid_id", f"{name}: 32 lowercase hex digits", name)
    return value


async def _refuse(
    request: web.Request,
    account: StaffAccount | None,
    status: int,
    code: str,
    message: str,
    case_id: str | None,
    recording_id: str | None = None,
) -> Refused:
    """Audit a refused attempt, then the refusal to raise."""
    rt = runtime(request)
    await rt.library.audit(
        AuditRecord(
            rt.clock(),
            AuditAction.REFUSED,
            None if account is None else account.id,
            None if account is None else account.role.value,
            case_id,
            recording_id,
            request.remote,
        )
    )
    audit.warning(
        "%s was refused recordings (%s) of case %s, recording %s",
        "an unsigned visitor" if account is None else f"staff {account.id}",
        code,
        case_id or "-",
        recording_id or "-",
    )
    return _bad(status, code, message)


async def _account(
    request: web.Request, case_id: str | None, recording_id: str | None = None
) -> StaffAccount:
    account = await runtime(request).auth.account_for(request.cookies.get(COOKIE_NAME))
    if account is None:
        raise await _refuse(
            request,
            None,
            401,
            "not_signed_in",
            "sign in to the staff console",
            case_id,
            recording_id,
        )
    return account


async def _case(
    request: web.Request,
    account: StaffAccount,
    case_id: str,
    recording_id: str | None = None,
) -> Case:
    case = await runtime(request).cases.get(case_id)
    if case is None:
        raise _bad(404, "not_found", "no such case", "case_id")
    if not may_access_recordings(account, case):
        raise await _refuse(
            request,
            account,
            403,
            "forbidden",
            "only supervisors and the staff who took part may open these recordings",
            case_id,
            recording_id,
        )
    return case


async def _accessed(
    request: web.Request,
    account: StaffAccount,
    action: AuditAction,
    case_id: str,
    recording_id: str | None = None,
    window: timedelta | None = None,
) -> None:
    """Audit an access; with ``window``, unless the same account's same access
    to the same recording was audited that recently (the viewing goes on)."""
    rt = runtime(request)
    record = AuditRecord(
        rt.clock(),
        action,
        account.id,
        account.role.value,
        case_id,
        recording_id,
        request.remote,
    )
    if window is None:
        await rt.library.audit(record)
    elif not await rt.library.audit_once(record, window):
        return
    audit.info(
        "staff %s: %s, case %s, recording %s",
        account.id,
        action.value,
        case_id,
        recording_id or "-",
    )


def _when(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return None if moment is None else moment.astimezone(tz).isoformat()


def recording_view(info: RecordingInfo, tz: ZoneInfo) -> dict[str, Any]:
    seconds = (
        None
        if info.ended_at is None
        else round((info.ended_at - info.started_at).total_seconds(), 3)
    )
    playable = info.playable
    return {
        "id": info.id,
        "case_id": info.case_id,
        "party_role": info.party_role,
        "kind": info.kind,
        "codec": info.codec,
        "media_type": info.media_type,
        "status": info.status,
        "started_at": _when(info.started_at, tz),
        "ended_at": _when(info.ended_at, tz),
        "duration_seconds": seconds,
        "bytes": info.bytes,
        "play_url": f"/api/recordings/{info.id}/play" if playable else None,
        "download_url": f"/api/recordings/{info.id}/download" if playable else None,
    }


def job_view(job: CompositeJob, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": job.id,
        "case_id": job.case_id,
        "state": job.state.value,
        "requested_at": _when(job.requested_at, tz),
        "started_at": _when(job.started_at, tz),
        "finished_at": _when(job.finished_at, tz),
        "recording_id": job.recording_id,
        "error": job.error,
        "message": job.message,
    }


def audit_view(record: AuditRecord, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": record.id,
        "at": _when(record.at, tz),
        "action": record.action.value,
        "staff_id": record.staff_id,
        "role": record.role,
        "case_id": record.case_id,
        "recording_id": record.recording_id,
        "client_address": record.client_address,
    }


def handles(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except Refused as stop:
            return stop.response
        except RecordingsError as exc:
            return refusal(exc.status, exc.code, str(exc), None)

    return wrapped


# -- routes ------------------------------------------------------------------------


async def list_recordings(request: web.Request) -> web.Response:
    case_id = _id(request, "case_id")
    account = await _account(request, case_id)
    await _case(request, account, case_id)
    rt = runtime(request)
    found = await rt.library.for_case(case_id)
    jobs = await rt.library.composite_jobs(case_id)
    await _accessed(request, account, AuditAction.LIST, case_id)
    return web.json_response(
        {
            "configured": rt.library.configured,
            "recordings": [recording_view(r, rt.tz) for r in found],
            "composites": [job_view(j, rt.tz) for j in jobs],
        },
        headers={"Cache-Control": "no-store"},
    )


def _byte_range(request: web.Request, size: int) -> tuple[int, int] | None:
    """``(start, end)`` (end exclusive) of a Range request; None: the whole file."""
    if "Range" not in request.headers:
        return None
    try:
        wanted = request.http_range
    except ValueError:
        raise _unsatisfiable(size) from None
    start, stop = wanted.start, wanted.stop
    if start is not None and start < 0:  # the last -start bytes
        start, stop = max(0, size + start), size
    start = start or 0
    stop = size if stop is None else min(stop, size)
    if start >= size or start >= stop:
        raise _unsatisfiable(size)
    return start, stop


def _unsatisfiable(size: int) -> Refused:
    response = refusal(
        416, "range_not_satisfiable", "the range is outside the recording", "Range"
    )
    response.headers["Content-Range"] = f"bytes */{size}"
    return Refused(response)


async def _stream(
    request: web.Request, info: RecordingInfo, disposition: str
) -> web.StreamResponse:
    library = runtime(request).library
    plain: BinaryIO
    plain, size = await asyncio.to_thread(library.open_plain, info)
    try:
        span = _byte_range(request, size)
        start, stop = span or (0, size)
        response = web.StreamResponse(
            status=206 if span else 200,
            headers={
                "Content-Type": info.media_type,
                "Accept-Ranges": "bytes",
                "Content-Disposition": disposition,
                "Cache-Control": "private, no-store",
            },
        )
        if span:
            response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
        response.content_length = stop - start
        await response.prepare(request)
        await asyncio.to_thread(plain.seek, start)
        left = stop - start
        while left > 0:
            data = await asyncio.to_thread(plain.read, min(CHUNK, left))
            if not data:
                break
            await response.write(data)
            left -= len(data)
        await response.write_eof()
        return response
    finally:
        await asyncio.to_thread(plain.close)


async def _recording_access(
    request: web.Request, action: AuditAction, window: timedelta | None = None
) -> tuple[RecordingInfo, StaffAccount]:
    recording_id = _id(request, "recording_id")
    account = await _account(request, None, recording_id)
    rt = runtime(request)
    info = await rt.library.get(recording_id)
    if info is None:
        raise _bad(404, "not_found", "no such recording", "recording_id")
    await _case(request, account, info.case_id, recording_id)
    if not rt.library.configured:
        raise _bad(409, "recording_unavailable", "recording is not configured")
    if not info.playable:
        raise _bad(410, "recording_gone", f"this recording is {info.status}")
    await _accessed(request, account, action, info.case_id, recording_id, window)
    return info, account


async def play_recording(request: web.Request) -> web.StreamResponse:
    ranged = "Range" in request.headers  # a player's request, maybe a seek
    window = PLAY_AUDIT_WINDOW if ranged else None
    info, _ = await _recording_access(request, AuditAction.PLAY, window)
    return await _stream(request, info, "inline")


async def download_recording(request: web.Request) -> web.StreamResponse:
    info, _ = await _recording_access(request, AuditAction.DOWNLOAD)
    started = info.started_at.astimezone(runtime(request).tz)
    suffix = SUFFIXES.get(info.media_type, "bin")
    name = (
        f"case-{info.case_id[:8]}-{info.party_role}-{info.kind}-"
        f"{started:%Y%m%d-%H%M%S}.{suffix}"
    )
    return await _stream(request, info, f'attachment; filename="{name}"')


async def request_composite(request: web.Request) -> web.Response:
    case_id = _id(request, "case_id")
    account = await _account(request, case_id)
    await _case(request, account, case_id)
    rt = runtime(request)
    job = await rt.library.request_composite(case_id, account.id, rt.clock())
    await _accessed(request, account, AuditAction.COMPOSITE, case_id)
    return web.json_response(job_view(job, rt.tz), status=202)


async def composite_status(request: web.Request) -> web.Response:
    job_id = _id(request, "job_id")
    account = await _account(request, None)
    rt = runtime(request)
    job = await rt.library.composite_job(job_id)
    if job is None:
        raise _bad(404, "not_found", "no such composite request", "job_id")
    await _case(request, account, job.case_id)
    return web.json_response(
        job_view(job, rt.tz), headers={"Cache-Control": "no-store"}
    )


async def read_audit(request: web.Request) -> web.Response:
    account = await _account(request, None)
    if account.role is not StaffRole.SUPERVISOR:
        raise await _refuse(
            request, account, 403, "forbidden", "only supervisors read the audit", None
        )
    try:
        query = AuditQuery.model_validate(dict(request.query))
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or None
        raise _bad(400, "invalid_field", f"{name}: {first['msg']}", name) from None
    rt = runtime(request)
    if query.from_ and query.to and query.to < query.from_:
        raise _bad(400, "range_reversed", "to: before from", "to")
    if query.from_ and query.to and (query.to - query.from_).days >= AUDIT_MAX_DAYS:
        raise _bad(400, "range_too_long", f"at most {AUDIT_MAX_DAYS} days", "to")

    def day_start(day: date | None) -> datetime | None:
        return None if day is None else datetime.combine(day, time(), rt.tz)

    until = None if query.to is None else query.to + timedelta(days=1)
    found = await rt.library.audit_entries(
        query.case_id, day_start(query.from_), day_start(until), query.limit
    )
    audit.info("staff %s read the access audit: %d entries", account.id, len(found))
    return web.json_response(
        {"time_zone": rt.tz.key, "entries": [audit_view(r, rt.tz) for r in found]},
        headers={"Cache-Control": "no-store"},
    )


def add_recording_routes(app: web.Application) -> None:
    """Register the recording routes (``app[RECORDINGS]`` is set at start-up)."""
    routes = [
        ("GET", "/api/cases/{case_id}/recordings", list_recordings),
        ("POST", "/api/cases/{case_id}/composite", request_composite),
        ("GET", "/api/composites/{job_id}", composite_status),
        ("GET", "/api/recordings/audit", read_audit),
        ("GET", "/api/recordings/{recording_id}/play", play_recording),
        ("GET", "/api/recordings/{recording_id}/download", download_recording),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, handles(handler))
