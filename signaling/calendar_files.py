"""iCalendar (RFC 5545) files of reservations and shifts for citizens and staff, and
the response that serves one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from aiohttp import web
from icalendar import Calendar as ICalendar
from icalendar import Event

from counseling.reservations import Reservation, Shift
from counseling.services import Service

CALENDAR_TYPE = "text/calendar; charset=utf-8"


SERVICE_NAMES = {
    Service.SIGN_LANGUAGE: "수어 영상상담 / Sign-language video counseling",
    Service.CHAT: "채팅 상담 / Text chat counseling",
    Service.FOREIGN_LANGUAGE: "외국어 상담 / Foreign-language counseling",
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
