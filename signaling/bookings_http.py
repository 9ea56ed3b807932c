"""The citizens' routes: free slots, booking one, and what a join link is for (with
its .ics file)."""

from __future__ import annotations

import logging

from aiohttp import web

from counseling.reservations import (
    DEFAULT_DURATION,
    CitizenDetails,
    JoinTokenExpired,
    JoinTokenUnknown,
    Reservation,
    ReservationError,
    ReservationStatus,
    SlotRequest,
    join_token_hash,
    new_join_token,
)
from counseling.services import Language, Service, Skill
from interpreter_pool.pool import new_id
from signaling.calendar_files import calendar_response, citizen_ics
from signaling.refusals import Refused, refusal
from signaling.scheduling_bodies import (
    CitizenBookingBody,
    TokenBody,
    parse,
)
from signaling.scheduling_runtime import runtime
from signaling.scheduling_views import (
    _iso,
    _minutes,
    join_view,
    slot_view,
)

audit = logging.getLogger("dasan.audit")


def _skill_from_query(request: web.Request) -> Skill:
    try:
        service = Service(request.query.get("service", ""))
    except ValueError:
        raise Refused(
            refusal(400, "unknown_service", "service: not a service", "service")
        ) from None
    raw = request.query.get("language")
    try:
        language = None if raw is None else Language(raw)
        return Skill.for_request(service, language)
    except ValueError as exc:
        raise Refused(
            refusal(400, "unknown_language", f"language: {exc}", "language")
        ) from None


async def get_slots(request: web.Request) -> web.Response:
    skill = _skill_from_query(request)
    raw = request.query.get("count", "8")
    if not raw.isdigit() or not 1 <= int(raw) <= 48:
        return refusal(400, "invalid_payload", "count: a whole number 1-48", "count")
    rt = runtime(request)
    hours, now = rt.calendar.hours(), rt.clock()
    slots = await rt.book.free_slots(skill, now, hours, int(raw))
    return web.json_response(
        {
            "time_zone": hours.tz.key,
            "service": skill.service.value,
            "language": skill.language.value,
            "duration_minutes": _minutes(DEFAULT_DURATION),
            "long_wait_minutes": rt.long_wait_minutes,
            "slots": [
                {"start": _iso(start, hours), "end": _iso(end, hours)}
                for start, end in slots
            ],
        }
    )


async def post_booking(request: web.Request) -> web.Response:
    body = await parse(request, CitizenBookingBody)
    rt = runtime(request)
    hours, now = rt.calendar.hours(), rt.clock()
    key = request.remote or "unknown"
    wait = rt.citizen_bookings.retry_after(key, now)
    if wait > 0:
        response = refusal(
            429, "too_many_bookings", "too many bookings from here; try later", None
        )
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    slot = SlotRequest(body.skill(), body.start)
    citizen = CitizenDetails.create(body.citizen_name, body.citizen_contact, None)
    token = new_join_token()
    r = await rt.book.book(
        new_id(), slot, citizen, join_token_hash(token), None, now, hours
    )
    rt.citizen_bookings.failed(key, now)  # counts bookings, not failures
    audit.info("a citizen booked reservation %s with %s", r.id, r.staff_id)
    return web.json_response(
        slot_view(r, hours) | {"join": join_view(request, token, r, hours)},
        status=201,
    )


async def _by_token(request: web.Request) -> tuple[Reservation, str]:
    body = await parse(request, TokenBody)
    r = await runtime(request).book.by_token(body.token)
    if r is None:
        raise JoinTokenUnknown
    return r, body.token


async def post_join(request: web.Request) -> web.Response:
    """What a join link is for, and whether it works now; nothing is claimed."""
    r, _ = await _by_token(request)
    rt = runtime(request)
    now = rt.clock()
    try:
        r.check_join(now)
        can_join = True
    except JoinTokenExpired:
        raise
    except ReservationError:
        can_join = False
    return web.json_response(
        slot_view(r, rt.calendar.hours()) | {"can_join_now": can_join}
    )


async def post_join_ics(request: web.Request) -> web.Response:
    r, token = await _by_token(request)
    if r.status is ReservationStatus.CANCELLED:
        raise JoinTokenExpired("the reservation was cancelled")
    rt = runtime(request)
    url = join_view(request, token, r, rt.calendar.hours())["url"]
    return calendar_response(citizen_ics(r, url, rt.clock()), "dasan-reservation.ics")
