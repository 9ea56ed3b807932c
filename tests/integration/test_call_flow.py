"""A citizen reaches an interpreter through a real server, with real media."""

from __future__ import annotations

from aiohttp.test_utils import TestServer

from counseling.cases import CaseStatus, EndReason
from counseling.cases import Party as CaseParty
from tests.integration.conftest import base_url, login, runtime
from tests.integration.peers import MediaPeer, Party

RED = (0, 0, 220)
BLUE = (220, 0, 0)


async def staff_party(server: TestServer, username: str) -> Party:
    _, token = await login(server, username)
    staff = Party("/staff")
    await staff.connect(base_url(server), {"Cookie": f"dasan_session={token}"})
    return staff


async def test_citizen_and_interpreter_exchange_video(
    any_db_server: TestServer,
) -> None:
    dasan_server = any_db_server
    interpreter = await staff_party(dasan_server, "interpreter.ksl")
    first = await interpreter.next("status")
    assert (first["status"], first["reason"]) == ("away", "not_ready")
    ack = await interpreter.call("set_presence", {"status": "available"})
    assert ack == {"ok": True, "status": "available", "reason": None}

    citizen = Party("/citizen")
    await citizen.connect(base_url(dasan_server))
    ack = await citizen.call("request", {"service": "sign_language"})
    assert ack["ok"]
    assert ack["position"] == 1
    assert ack["estimated_wait_seconds"] == 0
    case_id = ack["case_id"]
    assert len(case_id) == 32

    offer = await interpreter.next("offer")
    assert offer["case_id"] == case_id and offer["service"] == "sign_language"
    assert (await interpreter.call("accept_offer", {"offer_id": offer["offer_id"]}))[
        "ok"
    ]

    to_citizen = await citizen.next("session_started")
    to_staff = await interpreter.next("session_started")
    room_id = to_citizen["room_id"]
    assert (
        to_staff["room_id"] == room_id and to_citizen["peer"]["role"] == "interpreter"
    )

    citizen_media, staff_media = MediaPeer(RED), MediaPeer(BLUE)
    try:
        await citizen_media.join(citizen, room_id)
        await staff_media.join(interpreter, room_id)
        # Each side decodes frames of the other side's colour, forwarded by the server.
        await citizen_media.frames_like(BLUE, count=10)
        await staff_media.frames_like(RED, count=10)

        assert (await citizen.call("hang_up", {"room_id": room_id}))["ok"]
        ended = await interpreter.next("session_ended")
        assert ended["reason"] == "completed" and ended["ended_by"] == "citizen"
        assert (await citizen.next("session_ended"))["room_id"] == room_id
        # Wrap-up for notes, ended by the interpreter, then available again.
        await interpreter.next_matching("status", "status", "wrap_up")
        await interpreter.call("set_presence", {"status": "available"})
        await interpreter.next_matching("status", "status", "available")
        assert runtime(dasan_server).media.room_count == 0
    finally:
        await citizen_media.close()
        await staff_media.close()
        await citizen.sio.disconnect()
        await interpreter.sio.disconnect()

    case = await runtime(dasan_server).cases.get(case_id)
    assert case is not None
    assert case.status is CaseStatus.ENDED and case.end_reason is EndReason.COMPLETED
    assert case.ended_by is CaseParty.CITIZEN
    assert case.requested_at <= case.offered_at <= case.answered_at <= case.ended_at
    assert case.wait_seconds is not None and case.handle_seconds is not None
    assert [e.kind.value for e in case.events] == [
        "requested",
        "offered",
        "answered",
        "ended",
    ]
