"""Reservations meet the queue: a join link routes the citizen to their interpreter,
ahead of the line, and a slot nobody joins becomes a no-show case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp.test_utils import TestServer

from counseling.cases import EndReason, EventKind, Party
from counseling.reservations import (
    CitizenDetails,
    Shift,
    SlotRequest,
    join_token_hash,
    new_join_token,
)
from counseling.services import Language, Service, Skill
from counseling.staff import StaffAccount, StaffRole
from interpreter_pool.pool import new_id
from signaling.auth import Passwords
from signaling.desk import Desk
from storage.database import database_url_for_data_dir, open_database
from storage.pool_store import MemoryPoolStore
from storage.reservations import SqlReservationBook
from storage.sql import SqlCaseRepository, SqlChatLog, SqlStaffDirectory
from tests.integration.conftest import (
    DEMO_PASSWORD,
    base_url,
    login,
    runtime,
)
from tests.integration.desk_parts import HOURS, Clock, _NoMedia
from tests.integration.peers import Party as Client
from tests.integration.ready_parties import citizen, staff

KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)
HOURS_3 = timedelta(hours=3)


async def add_interpreter(server: TestServer, username: str) -> StaffAccount:
    person = StaffAccount(
        new_id(),
        username,
        "Second KSL interpreter",
        StaffRole.INTERPRETER,
        frozenset({KSL}),
        Passwords().hash(DEMO_PASSWORD),
    )
    await SqlStaffDirectory(runtime(server).database).add(person)
    return person


async def reserve(server: TestServer, staff_id: str, start: datetime) -> dict[str, Any]:
    """As the demo scheduler: a shift around ``start``, then a booking in it."""
    _, token = await login(server, "scheduler")
    async with aiohttp.ClientSession(
        base_url(server), headers={"Cookie": f"dasan_session={token}"}
    ) as http:
        shift = {
            "staff_id": staff_id,
            "start": (start - timedelta(hours=1)).isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
        }
        async with http.post("/api/shifts", json=shift) as response:
            assert response.status == 201, await response.text()
        body = {
            "service": "sign_language",
            "start": start.isoformat(),
            "staff_id": staff_id,
        }
        async with http.post("/api/reservations", json=body) as response:
            assert response.status == 201, await response.text()
            booked: dict[str, Any] = await response.json()
    return booked


def minutes_from_now(minutes: int) -> datetime:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now + timedelta(minutes=minutes + 1)


async def test_a_join_link_goes_ahead_of_the_line_to_the_reserved_interpreter(
    dasan_server: TestServer,
) -> None:
    second = await add_interpreter(dasan_server, "interpreter.ksl2")
    booked = await reserve(dasan_server, second.id, minutes_from_now(5))
    token = booked["join"]["token"]
    waiting, reserved = await citizen(dasan_server), await citizen(dasan_server)
    first_interpreter = await staff(dasan_server, "interpreter.ksl")
    reserved_interpreter = await staff(dasan_server, "interpreter.ksl2")
    clients: list[Client] = [waiting, reserved, first_interpreter]
    clients.append(reserved_interpreter)
    try:
        # Nobody free: the reserved citizen goes to the front of the line.
        ordinary = await waiting.call("request", {"service": "sign_language"})
        assert ordinary["position"] == 1
        # The reservation's service wins over what the page sent.
        ack = await reserved.call(
            "request",
            {"service": "foreign_language", "language": "en", "join_token": token},
        )
        assert ack["position"] == 1, ack
        moved = await waiting.next_matching("queue_position", "position", 2)
        assert moved["case_id"] == ordinary["case_id"]
        # (Preferring the reserved interpreter over a longer-idle one is
        # tested on the pool itself, tests/unit/test_pool.py.)
        await first_interpreter.call(
            "set_presence", {"status": "away", "reason": "meal"}
        )
        await reserved_interpreter.call("set_presence", {"status": "available"})
        offer = await reserved_interpreter.next("offer")
        assert offer["case_id"] == ack["case_id"]
        assert offer["service"] == "sign_language"
        await first_interpreter.call("set_presence", {"status": "available"})
        taken = await first_interpreter.next("offer")
        assert taken["case_id"] == ordinary["case_id"]
        case = await runtime(dasan_server).cases.get(ack["case_id"])
        assert case.reservation_id == booked["id"]
        again = await citizen(dasan_server)
        clients.append(again)
        # The same link works again (a reload), for the same reservation.
        rejoin = await again.call(
            "request", {"service": "sign_language", "join_token": token}
        )
        assert rejoin["ok"] is not False and "case_id" in rejoin
    finally:
        for client in clients:
            await client.sio.disconnect()


async def test_join_links_that_do_not_work_now_are_refused_and_change_nothing(
    dasan_server: TestServer,
) -> None:
    # An interpreter without the demo's shifts: a shift around the slot must
    # not overlap one of theirs, whatever the time of day the suite runs.
    booked_for = await add_interpreter(dasan_server, "interpreter.ksl3")
    later = await reserve(dasan_server, booked_for.id, minutes_from_now(60))
    person = await citizen(dasan_server)
    try:
        early = await person.call(
            "request",
            {"service": "sign_language", "join_token": later["join"]["token"]},
        )
        assert early["error"]["code"] == "join_too_early"
        opens = datetime.fromisoformat(early["error"]["next_open"])
        assert opens == datetime.fromisoformat(later["start"]) - timedelta(minutes=10)
        unknown = await person.call(
            "request", {"service": "sign_language", "join_token": new_join_token()}
        )
        assert unknown["error"]["code"] == "join_token_unknown"
        malformed = await person.call(
            "request", {"service": "sign_language", "join_token": "short"}
        )
        assert malformed["error"]["code"] == "invalid_payload"
        assert await runtime(dasan_server).cases.recent(10) == []
        # Still free to ask the ordinary way.
        ack = await person.call("request", {"service": "sign_language"})
        assert ack["position"] == 1
    finally:
        await person.sio.disconnect()


async def test_a_slot_nobody_joins_becomes_one_no_show_case(tmp_path: Path) -> None:
    db = await open_database(database_url_for_data_dir(tmp_path))
    try:
        directory, book = SqlStaffDirectory(db), SqlReservationBook(db)
        cases = SqlCaseRepository(db)
        person = StaffAccount(
            new_id(), "kim.ksl", "Kim", StaffRole.INTERPRETER, frozenset({KSL}), "x"
        )
        await directory.add(person)
        hours = HOURS
        start = datetime(2030, 3, 4, 10, 0, tzinfo=ZoneInfo("Asia/Seoul"))  # Monday
        booked_at = start - timedelta(days=1)
        await book.add_shift(
            Shift(
                new_id(),
                person.id,
                start - timedelta(hours=1),
                start + timedelta(hours=3),
            ),
            booked_at,
        )
        reservation = await book.book(
            new_id(),
            SlotRequest(KSL, start, timedelta(minutes=30), person.id),
            CitizenDetails(),
            join_token_hash(new_join_token()),
            None,
            booked_at,
            hours,
        )
        clock = Clock(start + timedelta(minutes=9))
        desks: list[Callable[[], Desk]] = [
            lambda: Desk(
                MemoryPoolStore(),
                cases,
                SqlChatLog(db),
                media=_NoMedia(),
                notifier=_Quiet(),
                clock=clock,
                reservations=book,
            )
        ] * 2
        one, two = desks[0](), desks[1]()  # two processes sharing one database
        assert await one.release_no_shows() == 0
        clock.now = start + timedelta(minutes=10)
        assert await one.release_no_shows() + await two.release_no_shows() == 1
        (case,) = await cases.recent(10)
        assert case.end_reason is EndReason.NO_SHOW
        assert case.ended_by is Party.SYSTEM
        assert case.requested_at == start
        assert case.reservation_id == reservation.id
        assert [e.kind for e in case.events] == [
            EventKind.REQUESTED,
            EventKind.RESERVATION,
            EventKind.ENDED,
        ]
    finally:
        await db.close()


class _Quiet:
    async def to_citizen(self, citizen_id: str, event: str, payload: Any) -> None:
        return None

    async def to_staff(self, staff_id: str, event: str, payload: Any) -> None:
        return None

    async def to_guest(self, guest_id: str, event: str, payload: Any) -> None:
        return None

    async def to_supervisors(self, event: str, payload: Any) -> None:
        return None

    async def to_service_staff(
        self, service: Service, event: str, payload: Any
    ) -> None:
        return None
