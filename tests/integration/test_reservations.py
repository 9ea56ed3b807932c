"""Reservations for real: the SQL book on SQLite and PostgreSQL, the HTTP API through
the whole app, and two `dasan serve` processes racing for one slot."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import icalendar
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from counseling.reservations import (
    CitizenDetails,
    JoinTokenExpired,
    JoinTokenUnknown,
    JoinTooEarly,
    NoInterpreterFree,
    OutsideShift,
    ReservationClosed,
    ReservationStatus,
    Shift,
    ShiftHoldsReservations,
    ShiftOverlap,
    SlotRequest,
    SlotTaken,
    UnknownStaff,
    join_token_hash,
    new_join_token,
)
from counseling.services import Language, Service, Skill
from counseling.staff import StaffAccount, StaffRole
from interpreter_pool.pool import new_id
from signaling.scheduling import SCHEDULING
from storage.database import Database, open_database
from storage.reservations import SqlReservationBook
from storage.sql import SqlStaffDirectory
from tests.around_the_clock import open_around_the_clock
from tests.integration.conftest import base_url, login, runtime
from tests.integration.desk_parts import HOURS, SEOUL
from tests.integration.processes import DASAN, server
from tests.pg import fresh_database_url, fresh_schema_url

KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)
ENGLISH = Skill(Service.FOREIGN_LANGUAGE, Language.EN)
VIETNAMESE = Skill(Service.FOREIGN_LANGUAGE, Language.VI)
SOON = 3  # days ahead: inside the two weeks of free slots shown to citizens
# A fixed Monday morning for the repository tests.
NOW = datetime(2030, 3, 4, 8, 0, tzinfo=SEOUL)
DAY = 20  # days ahead for HTTP tests: past the demo shifts (14 days)


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime.combine(NOW.date() + timedelta(days=day), time(hour, minute), SEOUL)


def ahead(hour: int, minute: int = 0, days: int = DAY) -> datetime:
    """A whole minute ``days`` from today in Seoul: open for every service 9-18."""
    today = datetime.now(SEOUL).date()
    return datetime.combine(today + timedelta(days=days), time(hour, minute), SEOUL)


def interpreter(username: str, *skills: Skill) -> StaffAccount:
    return StaffAccount(
        new_id(),
        username,
        username.title(),
        StaffRole.INTERPRETER,
        frozenset(skills),
        "x",
    )


# -- the repository on SQLite and PostgreSQL ------------------------------------------


@pytest.fixture
async def team(database: Database) -> list[StaffAccount]:
    staff = SqlStaffDirectory(database)
    people = [
        interpreter("ksl.a", KSL, ENGLISH),
        interpreter("ksl.b", KSL),
    ]
    for person in people:
        await staff.add(person)
    book = SqlReservationBook(database)
    for person in people:
        await book.add_shift(Shift(new_id(), person.id, at(9), at(18)), NOW)
    return people


def request(
    start: datetime, staff_id: str | None = None, skill: Skill = KSL
) -> SlotRequest:
    return SlotRequest(skill, start, timedelta(minutes=30), staff_id)


async def book_one(
    book: SqlReservationBook,
    start: datetime,
    staff_id: str | None = None,
    citizen: CitizenDetails | None = None,
    token: str | None = None,
) -> Any:
    return await book.book(
        new_id(),
        request(start, staff_id),
        citizen or CitizenDetails(),
        join_token_hash(token or new_join_token()),
        None,
        NOW,
        HOURS,
    )


async def test_a_booking_round_trips_with_its_personal_data(
    database: Database, team: list[StaffAccount]
) -> None:
    book = SqlReservationBook(database)
    citizen = CitizenDetails.create("이민수", "010-1234-5678", "주거급여 서류 문의")
    booked = await book_one(book, at(10), team[1].id, citizen)
    stored = await book.get(booked.id)
    assert stored == booked
    assert stored is not None
    assert stored.citizen.name == "이민수"
    assert stored.start == at(10)
    assert stored.status is ReservationStatus.BOOKED
    assert await book.between(at(0), at(0, day=2)) == [booked]
    assert await book.between(at(10, 30), at(11)) == []


async def test_concurrent_bookings_of_one_slot_give_one_reservation(
    database: Database, team: list[StaffAccount]
) -> None:
    book = SqlReservationBook(database)
    tries = [book_one(book, at(11), team[0].id) for _ in range(12)]
    results = await asyncio.gather(*tries, return_exceptions=True)
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1
    assert all(isinstance(r, SlotTaken) for r in lost), lost
    assert len(await book.between(at(11), at(11, 30))) == 1
    # Automatic choice: the two interpreters take two; the rest find nobody free.
    results = await asyncio.gather(
        *(book_one(book, at(12)) for _ in range(6)), return_exceptions=True
    )
    booked = [r for r in results if not isinstance(r, BaseException)]
    assert sorted(r.staff_id for r in booked) == sorted(p.id for p in team)
    assert sum(isinstance(r, NoInterpreterFree) for r in results) == 4


async def test_a_refused_booking_stores_nothing(
    database: Database, team: list[StaffAccount]
) -> None:
    book = SqlReservationBook(database)
    held = await book_one(book, at(10), team[0].id)
    for start, staff_id, error in [
        (at(10, 15), team[0].id, SlotTaken),
        (at(17, 45), team[0].id, OutsideShift),
        (at(10), "f" * 32, UnknownStaff),
    ]:
        with pytest.raises(error):
            await book_one(book, start, staff_id)
    assert await book.between(at(0), at(0, day=2)) == [held]


async def test_join_claims_and_no_shows(
    database: Database, team: list[StaffAccount]
) -> None:
    book = SqlReservationBook(database)
    token, late_token = new_join_token(), new_join_token()
    r = await book_one(book, at(10), team[0].id, token=token)
    late = await book_one(book, at(10), team[1].id, token=late_token)
    with pytest.raises(JoinTokenUnknown):
        await book.claim(new_join_token(), at(10))
    with pytest.raises(JoinTooEarly) as early:
        await book.claim(token, at(9, 49))
    assert early.value.opens_at == at(9, 50)
    assert (await book.get(r.id)).status is ReservationStatus.BOOKED  # type: ignore[union-attr]

    first = await book.claim(token, at(9, 55))
    assert first.first and first.reservation.status is ReservationStatus.CLAIMED
    assert first.reservation.staff_id == team[0].id
    again = await book.claim(token, at(10, 5))
    assert not again.first and again.reservation.claimed_at == at(9, 55)

    assert await book.release_no_shows(at(10, 9)) == []
    released = await book.release_no_shows(at(10, 10))
    assert [x.id for x in released] == [late.id]
    assert released[0].status is ReservationStatus.NO_SHOW
    assert await book.release_no_shows(at(10, 30)) == []  # each only once
    with pytest.raises(JoinTokenExpired):
        await book.claim(late_token, at(10, 11))
    with pytest.raises(JoinTokenExpired):
        await book.claim(token, at(10, 30))
    # The released slot can be booked again; the claimed one cannot.
    later = at(10, 12)
    await book.book(
        new_id(),
        request(at(10, 15), team[1].id),
        CitizenDetails(),
        "h" * 64,
        None,
        later,
        HOURS,
    )
    with pytest.raises(SlotTaken):
        await book.book(
            new_id(),
            request(at(10, 15), team[0].id),
            CitizenDetails(),
            "i" * 64,
            None,
            later,
            HOURS,
        )


async def test_move_cancel_and_new_links(
    database: Database, team: list[StaffAccount]
) -> None:
    book = SqlReservationBook(database)
    token = new_join_token()
    r = await book_one(book, at(10), team[0].id, token=token)
    other = await book_one(book, at(11), team[0].id)
    with pytest.raises(SlotTaken):
        await book.move(r.id, request(at(11), team[0].id), NOW, HOURS)
    # Without a named interpreter the move keeps A when free, else picks B.
    kept = await book.move(r.id, request(at(13)), NOW, HOURS)
    assert (kept.staff_id, kept.start, kept.revision) == (team[0].id, at(13), 1)
    moved = await book.move(r.id, request(at(11, 15)), NOW, HOURS)
    assert moved.staff_id == team[1].id
    assert await book.by_token(token) == moved
    fresh = new_join_token()
    await book.reissue_token(r.id, join_token_hash(fresh))
    assert await book.by_token(token) is None
    cancelled = await book.cancel(r.id, NOW)
    assert cancelled.status is ReservationStatus.CANCELLED
    with pytest.raises(ReservationClosed):
        await book.move(r.id, request(at(15)), NOW, HOURS)
    with pytest.raises(ReservationClosed):
        await book.cancel(r.id, NOW)
    assert (await book.get(other.id)) == other


async def test_shifts_never_overlap_nor_strand_reservations(
    database: Database, team: list[StaffAccount]
) -> None:
    book = SqlReservationBook(database)
    (shift,) = await book.shifts(at(0), at(0, day=2), team[0].id)
    with pytest.raises(ShiftOverlap):
        await book.add_shift(Shift(new_id(), team[0].id, at(17), at(20)), NOW)
    with pytest.raises(UnknownStaff):
        await book.add_shift(Shift(new_id(), "f" * 32, at(9), at(10)), NOW)
    held = await book_one(book, at(16), team[0].id)
    with pytest.raises(ShiftHoldsReservations):
        await book.change_shift(shift.id, at(9), at(16), NOW)
    with pytest.raises(ShiftHoldsReservations):
        await book.remove_shift(shift.id, NOW)
    changed = await book.change_shift(shift.id, at(12), at(20), NOW)
    assert (changed.start, changed.end) == (at(12), at(20))
    await book.cancel(held.id, NOW)
    assert await book.remove_shift(shift.id, NOW) == changed
    assert await book.shifts(at(0), at(0, day=2), team[0].id) == []


async def test_free_slots_skip_what_is_taken(
    database: Database, team: list[StaffAccount]
) -> None:
    book = SqlReservationBook(database)
    for person in team:
        await book_one(book, at(9), person.id)
    slots = await book.free_slots(KSL, NOW, HOURS, 2)
    assert slots == [(at(9, 30), at(10)), (at(10), at(10, 30))]
    assert (
        await book.free_slots(
            Skill(Service.FOREIGN_LANGUAGE, Language.MN), NOW, HOURS, 2
        )
        == []
    )


@pytest.mark.postgres
async def test_postgres_refuses_overlaps_even_without_the_repository() -> None:
    async with fresh_schema_url() as (url, schema):
        db = await open_database(url, schema=schema)
        try:
            person = interpreter("ksl.a", KSL)
            await SqlStaffDirectory(db).add(person)
            book = SqlReservationBook(db)
            await book.add_shift(Shift(new_id(), person.id, at(9), at(18)), NOW)
            held = await book_one(book, at(10), person.id)
            insert = text(
                "INSERT INTO reservations (id, service, language, staff_id, start_at,"
                " end_at, status, join_token_hash, created_at, revision) VALUES"
                " (:id, 'sign_language', 'ksl', :staff, :start, :end, :status, :hash,"
                " now(), 0)"
            )
            values = {
                "staff": person.id,
                "start": at(10, 15),
                "end": at(10, 45),
                "hash": secrets.token_hex(32),
            }
            with pytest.raises(IntegrityError, match="ex_reservations_no_overlap"):
                async with db.engine.begin() as connection:
                    await connection.execute(
                        insert, values | {"id": new_id(), "status": "booked"}
                    )
            async with db.engine.begin() as connection:  # a cancelled row may overlap
                await connection.execute(
                    insert, values | {"id": new_id(), "status": "cancelled"}
                )
            with pytest.raises(IntegrityError, match="ex_staff_shifts_no_overlap"):
                async with db.engine.begin() as connection:
                    await connection.execute(
                        text(
                            "INSERT INTO staff_shifts (id, staff_id, start_at, end_at)"
                            " VALUES (:id, :staff, :start, :end)"
                        ),
                        {
                            "id": new_id(),
                            "staff": person.id,
                            "start": at(17),
                            "end": at(19),
                        },
                    )
            assert [
                r.id
                for r in await book.between(at(0), at(0, day=2))
                if r.status.holds_slot
            ] == [held.id]
        finally:
            await db.close()


# -- the HTTP API through the whole app -----------------------------------------------


async def signed_in(server: TestServer, username: str) -> aiohttp.ClientSession:
    _, token = await login(server, username)
    return aiohttp.ClientSession(
        base_url(server), headers={"Cookie": f"dasan_session={token}"}
    )


@pytest.fixture
async def scheduler(dasan_server: TestServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with await signed_in(dasan_server, "scheduler") as session:
        yield session


@pytest.fixture
async def kim(dasan_server: TestServer) -> StaffAccount:
    """An interpreter of sign language, English and Vietnamese (which no demo
    interpreter speaks), with no shifts yet."""
    person = interpreter("kim.ksl", KSL, ENGLISH, VIETNAMESE)
    await SqlStaffDirectory(runtime(dasan_server).database).add(person)
    return person


async def add_shift(
    session: aiohttp.ClientSession, staff_id: str, start: datetime, end: datetime
) -> dict[str, Any]:
    body = {"staff_id": staff_id, "start": start.isoformat(), "end": end.isoformat()}
    async with session.post("/api/shifts", json=body) as response:
        assert response.status == 201, await response.text()
        shift: dict[str, Any] = await response.json()
    return shift


async def call(
    session: aiohttp.ClientSession, method: str, path: str, **kwargs: Any
) -> tuple[int, Any]:
    async with session.request(method, path, **kwargs) as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.text()


async def schedule(session: aiohttp.ClientSession, days: int = DAY) -> dict[str, Any]:
    first = ahead(0, days=days).date().isoformat()
    status, body = await call(session, "GET", f"/api/schedule?start={first}&days=2")
    assert status == 200, body
    return {k: v for k, v in body.items() if k != "now"}


def booking(start: datetime, **fields: Any) -> dict[str, Any]:
    return {"service": "sign_language", "start": start.isoformat()} | fields


async def test_a_scheduler_books_sees_moves_and_cancels(
    dasan_server: TestServer,
    scheduler: aiohttp.ClientSession,
    kim: StaffAccount,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    await add_shift(scheduler, kim.id, ahead(9), ahead(18))
    status, booked = await call(
        scheduler,
        "POST",
        "/api/reservations",
        json=booking(
            ahead(10),
            staff_id=kim.id,
            citizen_name="Lee Minsu",
            citizen_contact="lee.minsu@example.kr",
            notes="Housing benefit papers",
        ),
    )
    assert status == 201, booked
    assert booked["staff_id"] == kim.id
    assert booked["start"] == ahead(10).isoformat()
    assert booked["join"]["path"] == f"/#join={booked['join']['token']}"
    assert booked["join"]["opens_at"] == ahead(9, 50).isoformat()

    week = await schedule(scheduler)
    assert [r["id"] for r in week["reservations"]] == [booked["id"]]
    assert week["reservations"][0]["citizen_name"] == "Lee Minsu"
    assert kim.id in [i["id"] for i in week["interpreters"]]
    assert [s["staff_id"] for s in week["shifts"]] == [kim.id]

    status, moved = await call(
        scheduler,
        "PATCH",
        f"/api/reservations/{booked['id']}",
        json={"start": ahead(15).isoformat()},
    )
    assert status == 200, moved
    assert (moved["start"], moved["revision"]) == (ahead(15).isoformat(), 1)
    status, cancelled = await call(
        scheduler, "POST", f"/api/reservations/{booked['id']}/cancel"
    )
    assert (status, cancelled["status"]) == (200, "cancelled")
    status, again = await call(
        scheduler, "POST", f"/api/reservations/{booked['id']}/cancel"
    )
    assert (status, again["error"]["code"]) == (409, "reservation_closed")

    audit = [r.getMessage() for r in caplog.records if r.name == "dasan.audit"]
    assert any("read 1 reservations" in line for line in audit), audit
    assert any(f"booked reservation {booked['id']}" in line for line in audit)
    assert "Lee Minsu" not in caplog.text
    assert "lee.minsu@example.kr" not in caplog.text
    assert booked["join"]["token"] not in caplog.text


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"start": "past"}, 422, "start_in_past", "start"),
        ({"start": "overlap"}, 409, "slot_taken", "start"),
        ({"staff_id": "f" * 32}, 422, "unknown_staff", "staff_id"),
        ({"language": "xx"}, 400, "unknown_language", "language"),
        ({"language": "en"}, 400, "unknown_language", "language"),
        ({"service": "astrology"}, 400, "unknown_service", "service"),
        ({"start": "closed"}, 422, "outside_service_hours", "start"),
        ({"start": "off_shift"}, 422, "outside_shift", "start"),
        (
            {"citizen_contact": "call me maybe"},
            400,
            "invalid_contact",
            "citizen_contact",
        ),
        ({"start": "2031-01-01T10:00:00"}, 400, "invalid_payload", "start"),
        ({"start": "seconds"}, 400, "invalid_field", "start"),
        ({"duration_minutes": 500}, 400, "invalid_field", "duration_minutes"),
        ({"surprise": 1}, 400, "invalid_payload", "surprise"),
        ({"citizen_name": "Lee\u0000"}, 400, "invalid_field", "citizen_name"),
    ],
)
async def test_bad_bookings_name_the_field_and_change_nothing(
    scheduler: aiohttp.ClientSession,
    kim: StaffAccount,
    change: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    await add_shift(scheduler, kim.id, ahead(9), ahead(18))
    status_first, first = await call(
        scheduler, "POST", "/api/reservations", json=booking(ahead(10), staff_id=kim.id)
    )
    assert status_first == 201, first
    starts = {
        "past": datetime.now(SEOUL).replace(second=0, microsecond=0)
        - timedelta(hours=1),
        "overlap": ahead(10, 15),
        "closed": ahead(8),
        "off_shift": ahead(17, 45),
        "seconds": ahead(11).replace(second=30),
    }
    body = booking(ahead(11), staff_id=kim.id) | change
    if body["start"] in starts:
        body["start"] = starts[body["start"]].isoformat()
    before = await schedule(scheduler)
    got, refusal = await call(scheduler, "POST", "/api/reservations", json=body)
    assert (got, refusal["error"]["code"], refusal["error"]["field"]) == (
        status,
        code,
        field,
    ), refusal
    assert refusal["error"]["message"]
    assert await schedule(scheduler) == before


async def test_bad_moves_and_shift_edits_change_nothing(
    scheduler: aiohttp.ClientSession, kim: StaffAccount
) -> None:
    shift = await add_shift(scheduler, kim.id, ahead(9), ahead(18))
    ids = []
    for hour in (10, 11):
        status, body = await call(
            scheduler,
            "POST",
            "/api/reservations",
            json=booking(ahead(hour), staff_id=kim.id),
        )
        assert status == 201, body
        ids.append(body["id"])
    before = await schedule(scheduler)
    attempts: list[tuple[str, str, dict[str, Any], str, str | None]] = [
        (
            "PATCH",
            f"/api/reservations/{ids[0]}",
            {"start": ahead(11).isoformat(), "staff_id": kim.id},
            "slot_taken",
            "start",
        ),
        (
            "PATCH",
            f"/api/reservations/{'0' * 32}",
            {"start": ahead(13).isoformat()},
            "not_found",
            "reservation_id",
        ),
        (
            "PUT",
            f"/api/shifts/{shift['id']}",
            {"start": ahead(9).isoformat(), "end": ahead(10).isoformat()},
            "shift_has_reservations",
            "start",
        ),
        ("DELETE", f"/api/shifts/{shift['id']}", {}, "shift_has_reservations", "start"),
        (
            "POST",
            "/api/shifts",
            {
                "staff_id": kim.id,
                "start": ahead(17).isoformat(),
                "end": ahead(20).isoformat(),
            },
            "shift_overlap",
            "start",
        ),
        (
            "POST",
            "/api/shifts",
            {
                "staff_id": kim.id,
                "start": ahead(19).isoformat(),
                "end": ahead(19).isoformat(),
            },
            "invalid_field",
            "end",
        ),
    ]
    for method, path, body, code, field in attempts:
        kwargs = {"json": body} if body else {}
        status, refusal = await call(scheduler, method, path, **kwargs)
        assert 400 <= status < 500, (path, refusal)
        assert (refusal["error"]["code"], refusal["error"]["field"]) == (code, field), (
            refusal
        )
    assert await schedule(scheduler) == before


async def test_only_schedulers_and_supervisors_book(
    dasan_server: TestServer, kim: StaffAccount
) -> None:
    body = booking(ahead(10))
    async with aiohttp.ClientSession(base_url(dasan_server)) as anonymous:
        status, refusal = await call(anonymous, "POST", "/api/reservations", json=body)
        assert (status, refusal["error"]["code"]) == (401, "not_signed_in")
        status, _ = await call(anonymous, "GET", "/api/schedule")
        assert status == 401
    async with await signed_in(dasan_server, "interpreter.ksl") as interp:
        status, refusal = await call(interp, "POST", "/api/reservations", json=body)
        assert (status, refusal["error"]["code"]) == (403, "forbidden")
        status, refusal = await call(interp, "GET", f"/api/staff/{kim.id}/calendar.ics")
        assert status == 403
    async with await signed_in(dasan_server, "supervisor") as supervisor:
        await add_shift(supervisor, kim.id, ahead(9), ahead(18))
        status, booked = await call(supervisor, "POST", "/api/reservations", json=body)
        assert status == 201, booked


async def test_a_citizen_books_a_free_slot_and_gets_a_join_link(
    dasan_server: TestServer, scheduler: aiohttp.ClientSession, kim: StaffAccount
) -> None:
    # Only Kim speaks Vietnamese, from 13:00 to 15:00 in SOON days.
    await add_shift(scheduler, kim.id, ahead(13, days=SOON), ahead(15, days=SOON))
    async with aiohttp.ClientSession(base_url(dasan_server)) as citizen:
        status, slots = await call(
            citizen, "GET", "/api/slots?service=foreign_language&language=vi&count=48"
        )
        assert status == 200, slots
        offered = [s["start"] for s in slots["slots"]]
        assert offered == [
            ahead(h, m, SOON).isoformat()
            for h, m in ((13, 0), (13, 30), (14, 0), (14, 30))
        ]
        body = {
            "service": "foreign_language",
            "language": "vi",
            "start": ahead(13, 30, SOON).isoformat(),
            "citizen_contact": "+82 10 9876 5432",
        }
        status, booked = await call(citizen, "POST", "/api/bookings", json=body)
        assert status == 201, booked
        assert "staff_id" not in booked and "citizen_contact" not in booked
        token = booked["join"]["token"]
        status, again = await call(citizen, "POST", "/api/bookings", json=body)
        assert (status, again["error"]["code"]) == (409, "no_interpreter_free")

        status, info = await call(citizen, "POST", "/api/join", json={"token": token})
        assert status == 200, info
        assert (info["start"], info["can_join_now"]) == (
            ahead(13, 30, SOON).isoformat(),
            False,
        )
        async with citizen.post(
            "/api/join/calendar.ics", json={"token": token}
        ) as response:
            assert response.status == 200
            assert response.content_type == "text/calendar"
            ics = icalendar.Calendar.from_ical(await response.read())
        (event,) = ics.walk("VEVENT")
        assert event.decoded("dtstart") == ahead(13, 30, SOON)
        assert event.decoded("dtend") == ahead(14, 0, SOON)
        assert str(event["url"]).endswith(f"/#join={token}")
        for bad, code in ((new_join_token(), 404), ("short", 400)):
            status, refusal = await call(
                citizen, "POST", "/api/join", json={"token": bad}
            )
            assert (status, refusal["error"]["field"]) == (code, "token"), refusal

        status, slots = await call(
            citizen, "GET", "/api/slots?service=foreign_language&language=vi&count=48"
        )
        assert ahead(13, 30, SOON).isoformat() not in [
            s["start"] for s in slots["slots"]
        ]
    week = await schedule(scheduler, SOON)
    (reservation,) = week["reservations"]
    assert (reservation["staff_id"], reservation["booked_by"]) == (kim.id, None)
    assert reservation["citizen_contact"] == "+82 10 9876 5432"
    # Cancelled: the join link stops working.
    await call(scheduler, "POST", f"/api/reservations/{reservation['id']}/cancel")
    async with aiohttp.ClientSession(base_url(dasan_server)) as citizen:
        status, refusal = await call(
            citizen, "POST", "/api/join", json={"token": token}
        )
        assert (status, refusal["error"]["code"]) == (410, "join_token_expired")


async def test_an_expired_join_link_is_refused(
    dasan_server: TestServer, kim: StaffAccount
) -> None:
    # Booked two hours ago (straight into the book: the API refuses the past),
    # inside the test server's all-day opening.
    reservations = SqlReservationBook(runtime(dasan_server).database)
    hours = dasan_server.app[SCHEDULING].calendar.hours()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - timedelta(hours=2)
    await reservations.add_shift(
        Shift(new_id(), kim.id, start, now + timedelta(hours=1)), start
    )
    token = new_join_token()
    await reservations.book(
        new_id(),
        request(start, kim.id),
        CitizenDetails(),
        join_token_hash(token),
        None,
        start - timedelta(minutes=1),
        hours,
    )
    async with aiohttp.ClientSession(base_url(dasan_server)) as citizen:
        status, refusal = await call(
            citizen, "POST", "/api/join", json={"token": token}
        )
    assert (status, refusal["error"]["code"], refusal["error"]["field"]) == (
        410,
        "join_token_expired",
        "token",
    )


async def test_staff_calendar_feed_is_icalendar(
    dasan_server: TestServer, scheduler: aiohttp.ClientSession, kim: StaffAccount
) -> None:
    await add_shift(scheduler, kim.id, ahead(9, days=3), ahead(18, days=3))
    status, booked = await call(
        scheduler,
        "POST",
        "/api/reservations",
        json=booking(ahead(10, days=3), staff_id=kim.id, citizen_name="Lee Minsu"),
    )
    assert status == 201, booked
    async with scheduler.get(f"/api/staff/{kim.id}/calendar.ics") as response:
        assert response.status == 200
        feed = await response.read()
    calendar = icalendar.Calendar.from_ical(feed)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert len(events) == 2
    (reservation,) = (e for s, e in events.items() if "Reservation" in s)
    assert reservation.decoded("dtstart") == ahead(10, days=3)
    assert str(reservation["uid"]) == f"{booked['id']}@dasan-rtc"
    assert b"Lee Minsu" not in feed
    async with scheduler.get(
        f"/api/reservations/{booked['id']}/calendar.ics"
    ) as response:
        assert response.status == 200
        single = icalendar.Calendar.from_ical(await response.read())
    assert [str(e["uid"]) for e in single.walk("VEVENT")] == [
        f"{booked['id']}@dasan-rtc"
    ]


async def test_calendar_apps_subscribe_to_a_secret_link(
    dasan_server: TestServer, scheduler: aiohttp.ClientSession, kim: StaffAccount
) -> None:
    await add_shift(scheduler, kim.id, ahead(9, days=3), ahead(18, days=3))
    new_link = f"/api/staff/{kim.id}/calendar-feed"
    status, link = await call(scheduler, "POST", new_link)
    assert status == 201, link
    # A calendar app has no sign-in cookie: the link alone opens the feed.
    async with aiohttp.ClientSession(base_url(dasan_server)) as app:
        async with app.get(link["path"]) as response:
            assert response.status == 200
            assert response.content_type == "text/calendar"
            feed = icalendar.Calendar.from_ical(await response.read())
        assert [str(e["summary"]) for e in feed.walk("VEVENT")] == ["근무 / Shift"]
        # A new link replaces the old one.
        status, newer = await call(scheduler, "POST", new_link)
        assert status == 201 and newer["path"] != link["path"]
        async with app.get(link["path"]) as response:
            assert response.status == 404
        async with app.get(newer["path"]) as response:
            assert response.status == 200
        async with app.get(f"/api/calendar/{'A' * 43}.ics") as response:
            assert response.status == 404
            assert (await response.json())["error"]["field"] == "token"
        # Signed out, nobody makes links; an interpreter only for themself.
        async with app.post(new_link) as response:
            assert response.status == 401
    async with await signed_in(dasan_server, "interpreter.ksl") as other:
        status, body = await call(other, "POST", new_link)
        assert status == 403, body
    nobody = f"/api/staff/{'f' * 32}/calendar-feed"
    status, body = await call(scheduler, "POST", nobody)
    assert status == 404, body


# -- two processes on one PostgreSQL database ---------------------------------------

PASSWORD = "reservations-race-password"
RACERS = 24


async def test_two_processes_book_one_slot_exactly_once(tmp_path: Path) -> None:
    async with fresh_database_url() as database_url:
        env = os.environ | {
            "DASAN_DATABASE_URL": database_url,
            "DASAN_DEMO_PASSWORD": PASSWORD,
            "DASAN_NEW_STAFF_PASSWORD": PASSWORD,
            "DASAN_LOG_LEVEL": "WARNING",
            "DASAN_HOURS_FILE": str(open_around_the_clock(tmp_path / "hours.toml")),
        }
        for name in ("race.a", "race.b"):
            adding = await asyncio.create_subprocess_exec(
                *(
                    DASAN,
                    "add-staff",
                    name,
                    "--name",
                    name,
                    "--skill",
                    "sign_language/ksl",
                ),
                env=env,
                cwd=tmp_path,
                stdout=asyncio.subprocess.DEVNULL,
            )
            assert await adding.wait() == 0
        async with server(env, tmp_path) as first, server(env, tmp_path) as second:
            sessions = []
            for url in (first, second):
                jar = aiohttp.CookieJar(unsafe=True)
                session = aiohttp.ClientSession(url, cookie_jar=jar)
                async with session.post(
                    "/api/login", json={"username": "scheduler", "password": PASSWORD}
                ) as response:
                    assert response.status == 200, await response.text()
                sessions.append(session)
            try:
                _, week = await call(
                    sessions[0], "GET", f"/api/schedule?start={ahead(0).date()}"
                )
                names = {i["display_name"]: i["id"] for i in week["interpreters"]}
                racers = {name: names[name] for name in ("race.a", "race.b")}
                for name in ("race.a", "race.b"):
                    await add_shift(sessions[1], racers[name], ahead(9), ahead(18))

                async def race(body: dict[str, Any]) -> list[tuple[int, Any]]:
                    return await asyncio.gather(
                        *(
                            call(
                                sessions[i % 2], "POST", "/api/reservations", json=body
                            )
                            for i in range(RACERS)
                        )
                    )

                named = await race(booking(ahead(10), staff_id=racers["race.a"]))
                statuses = sorted(s for s, _ in named)
                assert statuses == [201] + [409] * (RACERS - 1), named
                assert {b["error"]["code"] for s, b in named if s == 409} == {
                    "slot_taken"
                }

                chosen = await race(booking(ahead(12)))
                won = [b for s, b in chosen if s == 201]
                assert sorted(b["staff_id"] for b in won) == sorted(racers.values())
                assert {b["error"]["code"] for s, b in chosen if s != 201} == {
                    "no_interpreter_free"
                }
                assert len(chosen) - len(won) == RACERS - 2
            finally:
                for session in sessions:
                    await session.close()

        database = await open_database(database_url)
        try:
            stored = await SqlReservationBook(database).between(ahead(0), ahead(23, 59))
        finally:
            await database.close()
        assert sorted((r.staff_id, r.start) for r in stored) == sorted(
            [(racers["race.a"], ahead(10))] + [(s, ahead(12)) for s in racers.values()]
        )
