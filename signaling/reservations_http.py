"""The schedulers' reservation routes: the schedule of some days, and booking,
reading, moving and cancelling one reservation, its join link and .ics file."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from aiohttp import web

from counseling.hours import ServiceHours
from counseling.reservations import (
    CitizenDetails,
    Reservation,
    SlotRequest,
    join_token_hash,
    local_day_bounds,
    new_join_token,
)
from interpreter_pool.pool import new_id
from signaling.calendar_files import calendar_response, staff_ics
from signaling.refusals import Refused, refusal
from signaling.scheduling_bodies import (
    BookingBody,
    MoveBody,
    parse,
)
from signaling.scheduling_runtime import books, runtime, scheduler, signed_in
from signaling.scheduling_views import (
    _iso,
    interpreter_view,
    join_view,
    reservation_view,
    shift_view,
)

audit = logging.getLogger("dasan.audit")


def _day(request: web.Request, hours: ServiceHours, now: datetime) -> date:
    raw = request.query.get("start")
    if raw is None:
        return now.astimezone(hours.tz).date()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Refused(
            refusal(400, "invalid_payload", "start: a date like 2026-11-26", "start")
        ) from None


async def get_schedule(request: web.Request) -> web.Response:
    account = await scheduler(request)
    rt = runtime(request)
    hours, now = rt.calendar.hours(), rt.clock()
    first = _day(request, hours, now)
    raw = request.query.get("days", "7")
    if not raw.isdigit() or not 1 <= int(raw) <= 31:
        return refusal(400, "invalid_payload", "days: a whole number 1-31", "days")
    start, end = local_day_bounds(
        datetime.combine(first, datetime.min.time(), hours.tz), int(raw), hours.tz
    )
    reservations = await rt.book.between(start, end)
    shifts = await rt.book.shifts(start, end)
    interpreters = await rt.book.interpreters()
    audit.info(
        "staff %s read %d reservations (%s to %s)",
        account.id,
        len(reservations),
        start.isoformat(),
        end.isoformat(),
    )
    return web.json_response(
        {
            "time_zone": hours.tz.key,
            "start": _iso(start, hours),
            "end": _iso(end, hours),
            "now": _iso(now, hours),
            "interpreters": [interpreter_view(i) for i in interpreters],
            "shifts": [shift_view(s, hours) for s in shifts],
            "reservations": [reservation_view(r, hours) for r in reservations],
        }
    )


async def post_reservation(request: web.Request) -> web.Response:
    account = await scheduler(request)
    body = await parse(request, BookingBody)
    rt = runtime(request)
    hours, now = rt.calendar.hours(), rt.clock()
    slot = SlotRequest(
        body.skill(),
        body.start,
        timedelta(minutes=body.duration_minutes),
        body.staff_id,
    )
    citizen = CitizenDetails.create(body.citizen_name, body.citizen_contact, body.notes)
    token = new_join_token()
    r = await rt.book.book(
        new_id(), slot, citizen, join_token_hash(token), account.id, now, hours
    )
    audit.info("staff %s booked reservation %s with %s", account.id, r.id, r.staff_id)
    body_out = reservation_view(r, hours) | {
        "join": join_view(request, token, r, hours)
    }
    return web.json_response(body_out, status=201)


async def _reservation(request: web.Request) -> Reservation:
    found = await runtime(request).book.get(request.match_info["reservation_id"])
    if found is None:
        raise Refused(
            refusal(404, "not_found", "no such reservation", "reservation_id")
        )
    return found


async def get_reservation(request: web.Request) -> web.Response:
    account = await signed_in(request)
    r = await _reservation(request)
    if not (books(account) or r.staff_id == account.id):
        audit.warning("staff %s was refused reservation %s", account.id, r.id)
        return refusal(403, "forbidden", "you may not read this reservation", None)
    audit.info("staff %s read reservation %s", account.id, r.id)
    return web.json_response(reservation_view(r, runtime(request).calendar.hours()))


async def move_reservation(request: web.Request) -> web.Response:
    account = await scheduler(request)
    body = await parse(request, MoveBody)
    rt = runtime(request)
    current = await _reservation(request)
    hours, now = rt.calendar.hours(), rt.clock()
    duration = (
        current.end - current.start
        if body.duration_minutes is None
        else timedelta(minutes=body.duration_minutes)
    )
    slot = SlotRequest(current.skill, body.start, duration, body.staff_id)
    r = await rt.book.move(current.id, slot, now, hours)
    audit.info("staff %s moved reservation %s to %s", account.id, r.id, r.staff_id)
    return web.json_response(reservation_view(r, hours))


async def cancel_reservation(request: web.Request) -> web.Response:
    account = await scheduler(request)
    rt = runtime(request)
    r = await rt.book.cancel(request.match_info["reservation_id"], rt.clock())
    audit.info("staff %s cancelled reservation %s", account.id, r.id)
    return web.json_response(reservation_view(r, rt.calendar.hours()))


async def new_join_link(request: web.Request) -> web.Response:
    account = await scheduler(request)
    rt = runtime(request)
    token = new_join_token()
    r = await rt.book.reissue_token(
        request.match_info["reservation_id"], join_token_hash(token)
    )
    audit.info("staff %s issued a new join link for reservation %s", account.id, r.id)
    return web.json_response(join_view(request, token, r, rt.calendar.hours()))


async def reservation_ics(request: web.Request) -> web.Response:
    account = await signed_in(request)
    r = await _reservation(request)
    if not (books(account) or r.staff_id == account.id):
        return refusal(403, "forbidden", "you may not read this reservation", None)
    body = staff_ics("Dasan 120", [r], [], runtime(request).clock())
    return calendar_response(body, f"reservation-{r.id}.ics")
