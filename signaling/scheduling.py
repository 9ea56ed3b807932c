"""HTTP routes for reservations: schedulers book, move and cancel; citizens book a
free slot and open their join link; iCalendar files for staff and citizens.
The handlers live in one module per resource; this one registers them."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from signaling.bookings_http import get_slots, post_booking, post_join, post_join_ics
from signaling.calendar_feeds_http import new_feed_link, staff_feed, subscribed_feed
from signaling.http import page
from signaling.refusals import Refused, refusal
from signaling.reservations_http import (
    cancel_reservation,
    get_reservation,
    get_schedule,
    move_reservation,
    new_join_link,
    post_reservation,
    reservation_ics,
)
from signaling.scheduling_runtime import SCHEDULING, SchedulingRuntime, handles
from signaling.shifts_http import delete_shift, post_shift, put_shift

__all__ = [
    "SCHEDULING",
    "Refused",
    "SchedulingRuntime",
    "add_scheduling_routes",
    "refusal",
]

log = logging.getLogger(__name__)

ID = r"[0-9a-f]{32}"


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
