"""The pool over the wire: live queue updates, presence, missed offers, reconnects."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.integration.conftest import base_url, start_server
from tests.integration.peers import MediaPeer, Party
from tests.integration.pool_parties import citizen, staff
from tests.pg import fresh_database_url

AppServer = Callable[[web.Application], Awaitable[TestServer]]
RED = (0, 0, 220)
GREEN = (0, 200, 0)
BLUE = (220, 0, 0)


async def test_waiting_citizens_see_their_place_and_wait_move(
    dasan_server: TestServer,
) -> None:
    first, second = await citizen(dasan_server), await citizen(dasan_server)
    interpreter, _ = await staff(dasan_server, "interpreter.ksl")
    try:
        a = await first.call("request", {"service": "sign_language"})
        b = await second.call("request", {"service": "sign_language"})
        assert (a["position"], b["position"]) == (1, 2)
        # Nobody on duty yet: no estimate, rather than a made-up one.
        assert b["estimated_wait_seconds"] is None
        await interpreter.call("set_presence", {"status": "available"})
        update = await second.next_matching("queue_position", "position", 2)
        while update["estimated_wait_seconds"] is None:
            update = await second.next("queue_position")
        assert update["estimated_wait_seconds"] > 0
        offer = await interpreter.next("offer")
        assert offer["case_id"] == a["case_id"]
        await interpreter.call("accept_offer", {"offer_id": offer["offer_id"]})
        moved = await second.next_matching("queue_position", "position", 1)
        assert moved["case_id"] == b["case_id"]
        # Notices go out after the pool is let go; their rounds only grow.
        assert moved["seq"] > update["seq"]
    finally:
        for party in (first, second, interpreter):
            await party.sio.disconnect()


async def test_supervisors_see_presence_live(dasan_server: TestServer) -> None:
    supervisor, _ = await staff(dasan_server, "supervisor")
    interpreter, _ = await staff(dasan_server, "interpreter.ksl")
    try:
        seen = await supervisor.next_matching("staff_presence", "status", "away")
        assert seen["reason"] == "not_ready"
        assert seen["display_name"] == "Kim Suhwa"
        await interpreter.call("set_presence", {"status": "away", "reason": "meal"})
        meal = await supervisor.next_matching("staff_presence", "reason", "meal")
        assert meal["staff_id"] == seen["staff_id"]
        await interpreter.sio.disconnect()
        gone = await supervisor.next_matching("staff_presence", "status", "offline")
        assert gone["staff_id"] == seen["staff_id"]
        # A supervisor is not in the pool: presence changes are refused.
        ack = await supervisor.call("set_presence", {"status": "available"})
        assert ack["error"]["code"] == "not_on_duty"
    finally:
        await supervisor.sio.disconnect()


async def test_three_missed_offers_set_the_interpreter_away_and_say_why(
    aiohttp_server: AppServer, tmp_path: Path
) -> None:
    server = await start_server(aiohttp_server, tmp_path, offer_timeout_seconds=1)
    interpreter, _ = await staff(server, "interpreter.ksl")
    caller = await citizen(server)
    try:
        await interpreter.call("set_presence", {"status": "available"})
        await caller.call("request", {"service": "sign_language"})
        for _ in range(3):
            offer = await interpreter.next("offer")
            closed = await interpreter.next("offer_closed")
            assert closed == {"offer_id": offer["offer_id"], "reason": "offer_expired"}
        away = await interpreter.next_matching("status", "reason", "missed_offers")
        assert away["status"] == "away"
        # The citizen still waits, first in line.
        ack = await caller.call("request", {"service": "sign_language"})
        assert ack["error"]["code"] == "already_waiting"
    finally:
        await interpreter.sio.disconnect()
        await caller.sio.disconnect()


async def test_an_interpreter_who_reconnects_in_time_resumes_with_media(
    aiohttp_server: AppServer, tmp_path: Path
) -> None:
    server = await start_server(aiohttp_server, tmp_path, reconnect_grace_seconds=20)
    interpreter, token = await staff(server, "interpreter.ksl")
    caller = await citizen(server)
    citizen_media = MediaPeer(RED)
    staff_media = MediaPeer(BLUE)
    second_media = MediaPeer(GREEN)
    returned = Party("/staff")
    try:
        await interpreter.call("set_presence", {"status": "available"})
        await caller.call("request", {"service": "sign_language"})
        offer = await interpreter.next("offer")
        await interpreter.call("accept_offer", {"offer_id": offer["offer_id"]})
        room_id = (await caller.next("session_started"))["room_id"]
        await citizen_media.join(caller, room_id)
        await staff_media.join(interpreter, room_id)
        await citizen_media.frames_like(BLUE, count=5)

        await interpreter.sio.disconnect()
        await staff_media.close()
        held = await caller.next("peer_reconnecting")
        assert held["room_id"] == room_id

        # The console comes back (a reload) and is told its session again.
        await returned.connect(base_url(server), {"Cookie": f"dasan_session={token}"})
        again = await returned.next("session_started")
        assert again["room_id"] == room_id
        assert (await caller.next("peer_reconnected"))["room_id"] == room_id
        await second_media.join(returned, room_id)
        # The citizen's same peer connection now shows the new camera.
        await citizen_media.frames_like(GREEN, count=5)
        await second_media.frames_like(RED, count=5)
        assert (await returned.call("hang_up", {"room_id": room_id}))["ok"]
        ended = await caller.next("session_ended")
        assert ended["reason"] == "completed"
    finally:
        for media in (citizen_media, second_media):
            await media.close()
        for party in (caller, returned):
            await party.sio.disconnect()


async def test_an_interpreter_who_does_not_return_ends_the_session(
    aiohttp_server: AppServer, tmp_path: Path
) -> None:
    server = await start_server(aiohttp_server, tmp_path, reconnect_grace_seconds=1)
    interpreter, _ = await staff(server, "interpreter.ksl")
    caller = await citizen(server)
    try:
        await interpreter.call("set_presence", {"status": "available"})
        await caller.call("request", {"service": "sign_language"})
        offer = await interpreter.next("offer")
        await interpreter.call("accept_offer", {"offer_id": offer["offer_id"]})
        await caller.next("session_started")
        await interpreter.sio.disconnect()
        await caller.next("peer_reconnecting")
        ended = await caller.next("session_ended")
        assert (ended["reason"], ended["ended_by"]) == (
            "connection_lost",
            "interpreter",
        )
    finally:
        await caller.sio.disconnect()


@pytest.fixture
async def postgres_server(
    aiohttp_server: AppServer, tmp_path: Path
) -> AsyncIterator[tuple[TestServer, str]]:
    async with fresh_database_url() as url:
        server = await start_server(aiohttp_server, tmp_path, url)
        yield server, url
        await server.close()


async def test_a_request_that_cannot_be_stored_takes_its_offer_back(
    postgres_server: tuple[TestServer, str],
) -> None:
    """Offers go out while the case is being stored; when storing fails, the
    interpreter sees the offer withdrawn, the citizen gets an error, and the
    next request (storage back) is offered as usual."""
    server, url = postgres_server
    interpreter, _ = await staff(server, "interpreter.ksl")
    person = await citizen(server)
    try:
        await interpreter.call("set_presence", {"status": "available"})
        await sql(url, REFUSE_NEW_CASES)
        ack = await person.call("request", {"service": "sign_language"})
        assert ack["error"]["code"] == "internal_error"
        offer = await interpreter.next("offer")
        closed = await interpreter.next("offer_closed")
        assert closed == {"offer_id": offer["offer_id"], "reason": "offer_withdrawn"}
        await interpreter.next_matching("status", "status", "available")
        await sql(url, "ALTER TABLE cases DROP CONSTRAINT refuse_new_cases")
        assert await sql(url, "SELECT count(*) FROM cases") == 0
        again = await person.call("request", {"service": "sign_language"})
        assert again["position"] == 1
        second = await interpreter.next("offer")
        assert second["case_id"] == again["case_id"] != offer["case_id"]
    finally:
        for party in (person, interpreter):
            await party.sio.disconnect()


# A real refusal by PostgreSQL for every new case, nothing else touched.
REFUSE_NEW_CASES = (
    "ALTER TABLE cases ADD CONSTRAINT refuse_new_cases CHECK (false) NOT VALID"
)


async def sql(url: str, statement: str) -> Any:
    """Run one statement on the test's database; returns its scalar result."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement))
            return result.scalar() if result.returns_rows else None
    finally:
        await engine.dispose()


async def test_a_citizen_who_reloads_takes_up_the_session_with_media_and_chat(
    aiohttp_server: AppServer, tmp_path: Path
) -> None:
    server = await start_server(aiohttp_server, tmp_path, reconnect_grace_seconds=20)
    interpreter, _ = await staff(server, "interpreter.ksl")
    caller = await citizen(server)
    citizen_media = MediaPeer(RED)
    staff_media = MediaPeer(BLUE)
    reloaded_media = MediaPeer(GREEN)
    reloaded = Party("/citizen")
    stranger = Party("/citizen")
    try:
        await interpreter.call("set_presence", {"status": "available"})
        ask = await caller.call("request", {"service": "sign_language"})
        offer = await interpreter.next("offer")
        await interpreter.call("accept_offer", {"offer_id": offer["offer_id"]})
        started = await caller.next("session_started")
        room_id, token = started["room_id"], started["resume_token"]
        assert len(token) == 32
        assert (await interpreter.next("session_started"))["resume_token"] is None
        await citizen_media.join(caller, room_id)
        await staff_media.join(interpreter, room_id)
        await staff_media.frames_like(RED, count=5)
        sent = await caller.call("send_chat", {"room_id": room_id, "text": "hello"})
        assert sent["ok"]

        # The page reloads: the old connection goes, a new one comes.
        await caller.sio.disconnect()
        await citizen_media.close()
        held = await interpreter.next("peer_reconnecting")
        assert held["room_id"] == room_id
        await reloaded.connect(base_url(server))
        # A stranger's guess gets nothing and changes nothing.
        await stranger.connect(base_url(server))
        guess = await stranger.call("resume", {"resume_token": "0" * 32})
        assert guess["error"]["code"] == "not_in_room"
        back = await reloaded.call("resume", {"resume_token": token})
        assert back["ok"], back
        assert back["session"]["room_id"] == room_id
        assert back["session"]["case_id"] == ask["case_id"]
        assert (await interpreter.next("peer_reconnected"))["room_id"] == room_id
        history = await reloaded.call("chat_history", {"room_id": room_id})
        assert [m["text"] for m in history["messages"]] == ["hello"]
        await reloaded_media.join(reloaded, room_id)
        # The interpreter's same peer connection now shows the new page's camera.
        await staff_media.frames_like(GREEN, count=5)
        await reloaded_media.frames_like(BLUE, count=5)
        assert (await reloaded.call("hang_up", {"room_id": room_id}))["ok"]
        ended = await interpreter.next("session_ended")
        assert (ended["reason"], ended["ended_by"]) == ("completed", "citizen")
        # The token ends with the session.
        late = await stranger.call("resume", {"resume_token": token})
        assert late["error"]["code"] == "not_in_room"
    finally:
        for media in (staff_media, reloaded_media):
            await media.close()
        for party in (interpreter, reloaded, stranger):
            await party.sio.disconnect()


async def test_a_citizen_who_does_not_come_back_ends_the_session(
    aiohttp_server: AppServer, tmp_path: Path
) -> None:
    server = await start_server(aiohttp_server, tmp_path, reconnect_grace_seconds=1)
    interpreter, _ = await staff(server, "interpreter.ksl")
    caller = await citizen(server)
    try:
        await interpreter.call("set_presence", {"status": "available"})
        await caller.call("request", {"service": "sign_language"})
        offer = await interpreter.next("offer")
        await interpreter.call("accept_offer", {"offer_id": offer["offer_id"]})
        await caller.next("session_started")
        await caller.sio.disconnect()
        await interpreter.next("peer_reconnecting")
        ended = await interpreter.next("session_ended")
        assert (ended["reason"], ended["ended_by"]) == ("connection_lost", "citizen")
    finally:
        await interpreter.sio.disconnect()


async def test_the_citizen_gets_a_one_time_feedback_token_when_the_session_ends(
    dasan_server: TestServer,
) -> None:
    interpreter, _ = await staff(dasan_server, "interpreter.ksl")
    caller = await citizen(dasan_server)
    try:
        await interpreter.call("set_presence", {"status": "available"})
        await caller.call("request", {"service": "sign_language"})
        offer = await interpreter.next("offer")
        await interpreter.call("accept_offer", {"offer_id": offer["offer_id"]})
        room_id = (await caller.next("session_started"))["room_id"]
        await interpreter.call("hang_up", {"room_id": room_id})
        ended = await caller.next("session_ended")
        token = ended["feedback_token"]
        assert len(token) == 32 and ended["feedback_expires_at"]
        told_staff = await interpreter.next("session_ended")
        assert told_staff.get("feedback_token") is None
        rating = {"token": token, "score": 5, "comment": "Thank you"}
        async with aiohttp.ClientSession(base_url(dasan_server)) as http:
            async with http.post("/api/feedback", json=rating) as response:
                assert response.status == 204, await response.text()
            async with http.post("/api/feedback", json=rating) as response:
                assert response.status == 409
    finally:
        for party in (interpreter, caller):
            await party.sio.disconnect()


async def test_supervisors_see_the_center_live_on_the_dashboard(
    dasan_server: TestServer,
) -> None:
    supervisor, _ = await staff(dasan_server, "supervisor")
    interpreter, _ = await staff(dasan_server, "interpreter.ksl")
    caller = await citizen(dasan_server)
    try:
        first = await supervisor.next("dashboard")
        assert first["queues"] == [] and first["sessions"] == []
        await caller.call("request", {"service": "sign_language"})

        async def board_where(check: Callable[[dict[str, Any]], bool]) -> Any:
            while True:
                board = await supervisor.next("dashboard")
                if check(board):
                    return board

        waiting = await board_where(lambda b: bool(b["queues"]))
        (queue,) = waiting["queues"]
        assert (queue["service"], queue["language"], queue["waiting"]) == (
            "sign_language",
            "ksl",
            1,
        )
        assert queue["longest_wait_seconds"] >= 0
        await interpreter.call("set_presence", {"status": "available"})
        offer = await interpreter.next("offer")
        await interpreter.call("accept_offer", {"offer_id": offer["offer_id"]})
        live = await board_where(lambda b: bool(b["sessions"]))
        (session,) = live["sessions"]
        assert session["case_id"] == offer["case_id"]
        assert session["staff_name"] == "Kim Suhwa"
        assert live["queues"] == []
        kim = next(s for s in live["staff"] if s["staff_id"] == session["staff_id"])
        assert kim["status"] == "in_session"
    finally:
        for party in (supervisor, interpreter, caller):
            await party.sio.disconnect()


async def test_a_signer_hears_what_the_server_sees_in_their_picture(
    dasan_server: TestServer,
) -> None:
    interpreter, _ = await staff(dasan_server, "interpreter.ksl")
    caller = await citizen(dasan_server)
    dark_camera = MediaPeer((2, 2, 2))  # a room with the lights off
    staff_media = MediaPeer(BLUE)
    try:
        await interpreter.call("set_presence", {"status": "available"})
        await caller.call("request", {"service": "sign_language"})
        offer = await interpreter.next("offer")
        await interpreter.call("accept_offer", {"offer_id": offer["offer_id"]})
        room_id = (await caller.next("session_started"))["room_id"]
        await dark_camera.join(caller, room_id)
        await staff_media.join(interpreter, room_id)
        advice = await caller.next("video_quality")
        assert advice["room_id"] == room_id
        assert advice["advice"][0] == "too_dark"
    finally:
        for media in (dark_camera, staff_media):
            await media.close()
        for party in (interpreter, caller):
            await party.sio.disconnect()
