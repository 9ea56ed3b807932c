"""What the scheduling routes share: their runtime in the app, who may do what, and
the wrapper that turns refusals into responses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from counseling.ports import ReservationBook
from counseling.reservations import ReservationError
from counseling.staff import StaffAccount, StaffRole
from signaling.auth import COOKIE_NAME, Authenticator
from signaling.http import Calendar
from signaling.refusals import Refused, refusal, refused
from signaling.throttle import Throttle


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
