"""Staff calendar feeds: a staff member's reservations and shifts as .ics, read
signed in or through a secret link that calendar apps subscribe to."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web

from counseling.reservations import (
    join_token_hash,
    new_join_token,
)
from signaling.calendar_files import calendar_response, staff_ics
from signaling.refusals import refusal
from signaling.scheduling_runtime import books, runtime, signed_in

audit = logging.getLogger("dasan.audit")

FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=90)


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
