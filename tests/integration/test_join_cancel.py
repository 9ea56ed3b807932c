"""Withdrawing a counselor request through a real server: the counselor it was
offered to sees the offer withdrawn and is available again, the case notes the
cancellation, and nobody else may cancel."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from counseling.cases import EventKind
from tests.integration import peers
from tests.integration.conftest import base_url, login, runtime


@pytest.fixture
async def connections() -> AsyncIterator[list[peers.Party]]:
    made: list[peers.Party] = []
    yield made
    for party in made:
        if party.sio.connected:
            await party.sio.disconnect()


async def staff(
    server: TestServer, username: str, made: list[peers.Party]
) -> tuple[peers.Party, str]:
    """A staff console signed in as ``username``; returns it and their id."""
    profile, token = await login(server, username)
    io = peers.Party("/staff")
    made.append(io)
    await io.connect(base_url(server), {"Cookie": f"dasan_session={token}"})
    return io, str(profile["id"])


async def available(io: peers.Party) -> None:
    ack = await io.call("set_presence", {"status": "available"})
    assert ack["ok"], ack
    assert (await io.next_matching("status", "status", "available"))["reason"] is None


async def start_session(
    server: TestServer, made: list[peers.Party]
) -> tuple[peers.Party, peers.Party, str, str, str]:
    """A sign-language session between a citizen and interpreter.ksl; returns
    the citizen, the interpreter, their id, the room and the case."""
    interpreter, interpreter_id = await staff(server, "interpreter.ksl", made)
    await available(interpreter)
    citizen = peers.Party("/citizen")
    made.append(citizen)
    await citizen.connect(base_url(server))
    asked = await citizen.call("request", {"service": "sign_language"})
    assert asked["ok"], asked
    offer = await interpreter.next("offer")
    assert (await interpreter.call("accept_offer", {"offer_id": offer["offer_id"]}))[
        "ok"
    ]
    room_id = str((await interpreter.next("session_started"))["room_id"])
    return citizen, interpreter, interpreter_id, room_id, str(asked["case_id"])


async def test_cancelling_an_offered_request_frees_the_counselor(
    dasan_server: TestServer, connections: list[peers.Party]
) -> None:
    server = dasan_server
    _, interpreter, interpreter_id, room_id, case_id = await start_session(
        server, connections
    )
    counselor, _ = await staff(server, "counselor.welfare", connections)
    await available(counselor)

    ask = {"room_id": room_id, "department": "welfare"}
    assert await interpreter.call("request_counselor", ask) == {"ok": True}
    offer = await counselor.next("offer")
    assert offer["purpose"] == "counselor"
    assert await counselor.next_matching("status", "status", "offered")

    ack = await interpreter.call("cancel_join_request", {"room_id": room_id})
    assert ack == {"ok": True}

    # The counselor's console: the offer withdrawn, available again.
    closed = await counselor.next("offer_closed")
    assert closed == {"offer_id": offer["offer_id"], "reason": "offer_withdrawn"}
    await counselor.next_matching("status", "status", "available")
    late = await counselor.call("accept_offer", {"offer_id": offer["offer_id"]})
    assert late["error"]["code"] == "unknown_offer"
    # The interpreter's console (every tab of it) hears the request ended.
    ended = await interpreter.next("join_request_ended")
    assert ended == {"room_id": room_id, "kind": "counselor", "reason": "cancelled"}

    case = await runtime(server).cases.get(case_id)
    assert case is not None
    cancelled = [e for e in case.events if e.kind is EventKind.JOIN_REQUEST_CANCELLED]
    assert [(e.staff_id, e.detail) for e in cancelled] == [
        (interpreter_id, "counselor")
    ]

    # Nothing is pending now; a new request goes out at once and can be taken.
    nothing = await interpreter.call("cancel_join_request", {"room_id": room_id})
    assert nothing["ok"] is False
    assert nothing["error"]["code"] == "no_join_request"
    assert nothing["error"]["message"]
    assert await interpreter.call("request_counselor", ask) == {"ok": True}
    again = await counselor.next("offer")
    assert again["offer_id"] != offer["offer_id"]
    taken = await counselor.call("accept_offer", {"offer_id": again["offer_id"]})
    assert taken["ok"], taken
    started = await counselor.next("session_started")
    assert started["room_id"] == room_id


async def test_with_nothing_pending_the_code_says_so(
    dasan_server: TestServer, connections: list[peers.Party]
) -> None:
    _, interpreter, _, room_id, case_id = await start_session(dasan_server, connections)
    before = await runtime(dasan_server).cases.get(case_id)
    ack = await interpreter.call("cancel_join_request", {"room_id": room_id})
    assert ack["ok"] is False and ack["error"]["code"] == "no_join_request"
    bad = await interpreter.call("cancel_join_request", {"room": room_id})
    assert bad["error"]["code"] == "invalid_payload"
    after = await runtime(dasan_server).cases.get(case_id)
    assert before is not None and after is not None
    assert after.events == before.events


async def test_a_citizen_or_a_stranger_cannot_cancel(
    dasan_server: TestServer, connections: list[peers.Party]
) -> None:
    server = dasan_server
    citizen, interpreter, _, room_id, _ = await start_session(server, connections)
    counselor, _ = await staff(server, "counselor.welfare", connections)
    await available(counselor)
    stranger, _ = await staff(server, "counselor.en", connections)
    ask = {"room_id": room_id, "department": "welfare"}
    assert await interpreter.call("request_counselor", ask) == {"ok": True}
    offer = await counselor.next("offer")

    cancel = {"room_id": room_id}
    for who, io in (("citizen", citizen), ("stranger", stranger)):
        refused = await io.call("cancel_join_request", cancel)
        assert refused["ok"] is False, who
        assert refused["error"]["code"] == "not_allowed", (who, refused)
    # A room that is not running (or not theirs to know): not_in_room.
    elsewhere = await interpreter.call("cancel_join_request", {"room_id": "0" * 32})
    assert elsewhere["error"]["code"] == "not_in_room"

    # The request still stands: the counselor takes it.
    assert counselor.queue("offer_closed").empty()
    taken = await counselor.call("accept_offer", {"offer_id": offer["offer_id"]})
    assert taken["ok"], taken
    assert (await counselor.next("session_started"))["room_id"] == room_id
    gone = await interpreter.call("cancel_join_request", cancel)
    assert gone["error"]["code"] == "no_join_request"
