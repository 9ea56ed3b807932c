"""HTTP routes for reservations: schedulers book, move and cancel; citizens book a
free slot and open their join link; iCalendar files for staff and citizens."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from icalendar import Calendar as ICalendar
from icalendar import Event
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from counseling.hours import ServiceHours
from counseling.ports import ReservationBook
from counseling.reservations import (
    DEFAULT_DURATION,
    CitizenDetails,
    Interpreter,
    JoinTokenExpired,
    JoinTokenUnknown,
    Reservation,
    ReservationError,
    ReservationStatus,
    Shift,
    SlotRequest,
    join_token_hash,
    local_day_bounds,
    new_join_token,
)
from counseling.services import Language, Service, Skill
from counseling.staff import StaffAccount, StaffRole
from interpreter_pool.pool import new_id
from signaling.auth import COOKIE_NAME, Authenticator
from signaling.http import Calendar, page
from signaling.throttle import Throttle

log = logging.getLogger(__name__)
audit = logging.getLogger("dasan.audit")

ID = r"[0-9a-f]{32}"
JOIN_LINK_SHAPE = r"^[A-Za-z0-9_-]{20,100}$"
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=90)
CALENDAR_TYPE = "text/calendar; charset=utf-8"
_Body = TypeVar("_Body", bound=BaseModel)

# The HTTP status of each refusal; docs/openapi.yaml lists the same codes.
STATUS: dict[str, int] = {
    "invalid_payload": 400,
    "invalid_field": 400,
    "invalid_contact": 400,
    "unknown_service": 400,
    "unknown_language": 400,
    "not_found": 404,
    "join_token_unknown": 404,
    "slot_taken": 409,
    "no_interpreter_free": 409,
    "shift_overlap": 409,
    "shift_has_reservations": 409,
    "reservation_closed": 409,
    "join_too_early": 409,
    "join_token_expired": 410,
    "start_in_past": 422,
    "too_far_ahead": 422,
    "outside_service_hours": 422,
    "outside_shift": 422,
    "not_qualified": 422,
    "unknown_staff": 422,
}
SERVICE_NAMES = {
    Service.SIGN_LANGUAGE: "수어 영상상담 / Sign-language video counseling",
    Service.CHAT: "채팅 상담 / Text chat counseling",
    Service.FOREIGN_LANGUAGE: "외국어 상담 / Foreign-language counseling",
}


def refusal(status: int, code: str, message: str, field: str | None) -> web.Response:
    """The error body of signaling.http's ``error``, with the field it is about."""
    body = {"error": {"code": code, "message": message, "field": field}}
    return web.json_response(body, status=status)


def refused(exc: ReservationError) -> web.Response:
    return refusal(STATUS.get(exc.code, 400), exc.code, str(exc), exc.field)


class Refused(Exception):
    """Stops a handler with an error response (raised by the helpers below)."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _default_throttle() -> Throttle:
    # Five citizen bookings per address, then one per 10 minutes, doubling.
    return Throttle(free=5, base=timedelta(minutes=10), forget_after=timedelta(hours=6))


@dataclass(frozen=True, slots=True)
class SchedulingRuntime:
    book: ReservationBook
    auth: Authenticator
    calendar: Calendar
    clock: Callable[[], datetime]
    long_wait_minutes: float = 15.0
    """The citizen page offers booking when the estimated wait is longer."""
    citizen_bookings: Throttle = field(default_factory=_default_throttle)


SCHEDULING = web.AppKey("scheduling", SchedulingRuntime)


# -- request bodies ------------------------------------------------------------


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SlotFields(StrictBody):
    service: Service
    language: Language | None = None
    start: AwareDatetime

    def skill(self) -> Skill:
        try:
            return Skill.for_request(self.service, self.language)
        except ValueError as exc:
            raise Refused(
                refusal(400, "unknown_language", f"language: {exc}", "language")
            ) from None


class CitizenBookingBody(SlotFields):
    citizen_name: str | None = Field(default=None, max_length=2000)
    citizen_contact: str | None = Field(default=None, max_length=2000)


class BookingBody(CitizenBookingBody):
    duration_minutes: int = Field(
        default=int(DEFAULT_DURATION / timedelta(minutes=1)), ge=1, le=24 * 60
    )
    staff_id: str | None = Field(default=None, min_length=1, max_length=64)
    notes: str | None = Field(default=None, max_length=10_000)


class MoveBody(StrictBody):
    start: AwareDatetime
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    staff_id: str | None = Field(default=None, min_length=1, max_length=64)


class TokenBody(StrictBody):
    token: str = Field(pattern=JOIN_LINK_SHAPE)


class ShiftTimes(StrictBody):
    start: AwareDatetime
    end: AwareDatetime


class ShiftBody(ShiftTimes):
    staff_id: str = Field(min_length=1, max_length=64)


async def parse(request: web.Request, model: type[_Body]) -> _Body:
    """The JSON body as ``model``, or Refused naming the first bad field."""
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise Refused(
            refusal(400, "invalid_payload", "send a JSON object", None)
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or None
        code = {"service": "unknown_service", "language": "unknown_language"}.get(
            name or "", "invalid_payload"
        )
        message = f"{name}: {first['msg']}" if name else str(first["msg"])
        raise Refused(refusal(400, code, message, name)) from None


# -- what the routes answer ----------------------------------------------------


def _iso(moment: datetime | None, hours: ServiceHours) -> str | None:
    return None if moment is None else moment.astimezone(hours.tz).isoformat()


def _minutes(span: timedelta) -> int:
    return int(span / timedelta(minutes=1))


def slot_view(r: Reservation, hours: ServiceHours) -> dict[str, Any]:
    """What anyone holding the link may see: no personal data, no staff."""
    return {
        "service": r.skill.service.value,
        "language": r.skill.language.value,
        "start": _iso(r.start, hours),
        "end": _iso(r.end, hours),
        "duration_minutes": _minutes(r.end - r.start),
        "status": r.status.value,
        "join_opens_at": _iso(r.join_opens_at, hours),
    }


def reservation_view(r: Reservation, hours: ServiceHours) -> dict[str, Any]:
    """The scheduler's view, personal data included: callers audit the read."""
    return slot_view(r, hours) | {
        "id": r.id,
        "staff_id": r.staff_id,
        "citizen_name": r.citizen.name,
        "citizen_contact": r.citizen.contact,
        "notes": r.citizen.notes,
        "booked_by": r.booked_by,
        "created_at": _iso(r.created_at, hours),
        "revision": r.revision,
        "claimed_at": _iso(r.claimed_at, hours),
        "closed_at": _iso(r.closed_at, hours),
    }


def shift_view(s: Shift, hours: ServiceHours) -> dict[str, Any]:
    return {
        "id": s.id,
        "staff_id": s.staff_id,
        "start": _iso(s.start, hours),
        "end": _iso(s.end, hours),
    }


def interpreter_view(i: Interpreter) -> dict[str, Any]:
    return {
        "id": i.id,
        "display_name": i.display_name,
        "skills": sorted(str(s) for s in i.skills),
    }


def join_view(
    request: web.Request, token: str, r: Reservation, hours: ServiceHours
) -> dict[str, Any]:
    """The citizen's link; the token sits in the fragment, which no server logs."""
    path = f"/#join={token}"
    return {
        "token": token,
        "path": path,
        "url": f"{request.url.origin()}{path}",
        "opens_at": _iso(r.join_opens_at, hours),
        "closes_at": _iso(r.end, hours),
    }


def ics_event(r: Reservation, now: datetime, summary: str, description: str) -> Event:
    event = Event()
    event.add("uid", f"{r.id}@dasan-rtc")
    event.add("dtstamp", now)
    event.add("dtstart", r.start)
    event.add("dtend", r.end)
    event.add("sequence", r.revision)
    event.add("summary", summary)
    event.add("description", description)
    held = r.status.holds_slot
    event.add("status", "CONFIRMED" if held else "CANCELLED")
    return event


def ics_calendar(name: str, events: Iterable[Event], method: str | None) -> bytes:
    """An RFC 5545 calendar. No personal data goes in: calendar files are copied
    into mail and calendar apps outside the center's control."""
    calendar = ICalendar()
    calendar.add("prodid", "-//Dasan RTC//Reservations//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method is not None:
        calendar.add("method", method)
    calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def citizen_ics(r: Reservation, join_url: str | None, now: datetime) -> bytes:
    summary = f"다산120 예약 / Dasan 120 reservation: {SERVICE_NAMES[r.skill.service]}"
    lines = [
        f"{SERVICE_NAMES[r.skill.service]} ({r.skill.language.value})",
        "입장은 시작 10분 전부터 / Join from 10 minutes before the start.",
        "10분 넘게 입장하지 않으면 예약이 취소됩니다 / The slot is released "
        "10 minutes after the start if you have not joined.",
    ]
    event = ics_event(r, now, summary, "\n".join(lines))
    if join_url is not None:
        event.add("url", join_url)
        event["description"] = "\n".join([*lines, join_url])
    return ics_calendar("Dasan 120", [event], "PUBLISH")


def staff_ics(
    name: str,
    reservations: Sequence[Reservation],
    shifts: Sequence[Shift],
    now: datetime,
) -> bytes:
    events = [
        ics_event(
            r,
            now,
            f"예약 / Reservation: {r.skill}",
            f"{SERVICE_NAMES[r.skill.service]} ({r.skill.language.value}) "
            f"- reservation {r.id}",
        )
        for r in reservations
    ]
    for s in shifts:
        event = Event()
        event.add("uid", f"shift-{s.id}@dasan-rtc")
        event.add("dtstamp", now)
        event.add("dtstart", s.start)
        event.add("dtend", s.end)
        event.add("summary", "근무 / Shift")
        event.add("transp", "TRANSPARENT")
        events.append(event)
    return ics_calendar(name, events, None)


def calendar_response(body: bytes, filename: str) -> web.Response:
    return web.Response(
        body=body,
        headers={
            "Content-Type": CALENDAR_TYPE,
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# -- who may do what -----------------------------------------------------------


def runtime(request: web.Request) -> SchedulingRuntime:
    return request.app[SCHEDULING]


async def signed_in(request: web.Request) -> StaffAccount:
    account = await runtime(request).auth.account_for(request.cookies.get(COOKIE_NAME))
    if account is None:
        raise Refused(
            refusal(401, "not_signed_in", "sign in to the staff console", None)
        )
    return account


def books(account: StaffAccount) -> bool:
    return account.role in (StaffRole.SCHEDULER, StaffRole.SUPERVISOR)


async def scheduler(request: web.Request) -> StaffAccount:
    account = await signed_in(request)
    if not books(account):
        raise Refused(
            refusal(
                403,
                "forbidden",
                "only schedulers and supervisors manage reservations",
                None,
            )
        )
    return account


Route = Callable[[web.Request], Any]


def handles(handler: Callable[[web.Request], Any]) -> Route:
    """Turn Refused and reservation errors into their JSON responses."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except Refused as stop:
            return stop.response
        except ReservationError as exc:
            return refused(exc)
        return response

    return wrapped


# -- routes: scheduling ----------------------------------------------------------


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


async def staff_feed(request: web.Request) -> web.Response:
    account = await signed_in(request)
    staff_id = request.match_info["staff_id"]
    if not (books(account) or staff_id == account.id):
        return refusal(403, "forbidden", "you may read only your own calendar", None)
    return await _feed(request, staff_id)


async def new_feed_link(request: web.Request) -> web.Response:
    """A secret link for calendar apps (which cannot sign in); replaces the old."""
    account = await signed_in(request)
    staff_id = request.match_info["staff_id"]
    if not (books(account) or staff_id == account.id):
        return refusal(403, "forbidden", "you may link only your own calendar", None)
    rt = runtime(request)
    if staff_id not in {i.id for i in await rt.book.interpreters()}:
        return refusal(404, "not_found", "no interpreter has this id", "staff_id")
    token = new_join_token()
    await rt.book.set_feed_token(staff_id, join_token_hash(token), rt.clock())
    audit.info("staff %s made a new calendar feed link for %s", account.id, staff_id)
    path = f"/api/calendar/{token}.ics"
    return web.json_response(
        {"url": f"{request.url.origin()}{path}", "path": path}, status=201
    )


async def subscribed_feed(request: web.Request) -> web.Response:
    """The feed behind a secret link: no cookie, the link is the key."""
    token = request.match_info["token"]
    staff_id = await runtime(request).book.staff_for_feed(join_token_hash(token))
    if staff_id is None:
        return refusal(404, "not_found", "this calendar link is not valid", "token")
    return await _feed(request, staff_id)


async def _feed(request: web.Request, staff_id: str) -> web.Response:
    rt = runtime(request)
    known = {i.id: i for i in await rt.book.interpreters()}
    if staff_id not in known:
        return refusal(404, "not_found", "no interpreter has this id", "staff_id")
    now = rt.clock()
    start, end = now - FEED_PAST, now + FEED_AHEAD
    reservations = await rt.book.between(start, end, staff_id)
    shifts = await rt.book.shifts(start, end, staff_id)
    name = f"Dasan 120 - {known[staff_id].display_name}"
    body = staff_ics(name, reservations, shifts, now)
    return calendar_response(body, f"dasan-{staff_id}.ics")


# -- routes: shifts ----------------------------------------------------------------


async def post_shift(request: web.Request) -> web.Response:
    account = await scheduler(request)
    body = await parse(request, ShiftBody)
    rt = runtime(request)
    shift = await rt.book.add_shift(
        Shift(new_id(), body.staff_id, body.start, body.end), rt.clock()
    )
    audit.info("staff %s added shift %s for %s", account.id, shift.id, shift.staff_id)
    return web.json_response(shift_view(shift, rt.calendar.hours()), status=201)


async def put_shift(request: web.Request) -> web.Response:
    account = await scheduler(request)
    body = await parse(request, ShiftTimes)
    rt = runtime(request)
    shift = await rt.book.change_shift(
        request.match_info["shift_id"], body.start, body.end, rt.clock()
    )
    audit.info("staff %s changed shift %s", account.id, shift.id)
    return web.json_response(shift_view(shift, rt.calendar.hours()))


async def delete_shift(request: web.Request) -> web.Response:
    account = await scheduler(request)
    rt = runtime(request)
    shift = await rt.book.remove_shift(request.match_info["shift_id"], rt.clock())
    audit.info("staff %s removed shift %s", account.id, shift.id)
    return web.Response(status=204)


# -- routes: citizens ----------------------------------------------------------------


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


def add_scheduling_routes(app: web.Application, static_dir: Path) -> None:
    """Register the reservation routes and the scheduler and booking pages."""
    reservation = f"/api/reservations/{{reservation_id:{ID}}}"
    shift = f"/api/shifts/{{shift_id:{ID}}}"
    routes = [
        ("GET", "/api/schedule", get_schedule),
        ("POST", "/api/reservations", post_reservation),
        ("GET", reservation, get_reservation),
        ("PATCH", reservation, move_reservation),
        ("POST", f"{reservation}/cancel", cancel_reservation),
        ("POST", f"{reservation}/join-link", new_join_link),
        ("GET", f"{reservation}/calendar.ics", reservation_ics),
        ("GET", f"/api/staff/{{staff_id:{ID}}}/calendar.ics", staff_feed),
        ("POST", f"/api/staff/{{staff_id:{ID}}}/calendar-feed", new_feed_link),
        ("GET", "/api/calendar/{token:[A-Za-z0-9_-]{40,64}}.ics", subscribed_feed),
        ("POST", "/api/shifts", post_shift),
        ("PUT", shift, put_shift),
        ("DELETE", shift, delete_shift),
        ("GET", "/api/slots", get_slots),
        ("POST", "/api/bookings", post_booking),
        ("POST", "/api/join", post_join),
        ("POST", "/api/join/calendar.ics", post_join_ics),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, handles(handler))
    app.router.add_get("/scheduler", page(static_dir / "scheduler.html"))
    app.router.add_get("/book", page(static_dir / "book.html"))
