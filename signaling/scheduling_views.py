"""What the scheduling routes answer: reservations, shifts, interpreters and join
links as JSON, times in the service's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from counseling.hours import ServiceHours
from counseling.reservations import Interpreter, Reservation, Shift


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
