"""The schedulers' shift routes: add, change and remove a staff member's shift."""

from __future__ import annotations

import logging

from aiohttp import web

from counseling.reservations import (
    Shift,
)
from interpreter_pool.pool import new_id
from signaling.scheduling_bodies import (
    ShiftBody,
    ShiftTimes,
    parse,
)
from signaling.scheduling_runtime import runtime, scheduler
from signaling.scheduling_views import (
    shift_view,
)

audit = logging.getLogger("dasan.audit")


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
