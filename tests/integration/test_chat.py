"""Chat over the wire: a chat-only session, the transcript kept with the case."""

from __future__ import annotations

import aiohttp
from aiohttp.test_utils import TestServer

from tests.integration.conftest import base_url, login, runtime
from tests.integration.peers import Party


async def staff(server: TestServer, username: str) -> Party:
    _, token = await login(server, username)
    party = Party("/staff")
    await party.connect(base_url(server), {"Cookie": f"dasan_session={token}"})
    return party


async def citizen(server: TestServer) -> Party:
    party = Party("/citizen")
    await party.connect(base_url(server))
    return party


async def test_a_chat_only_session_keeps_its_transcript(
    dasan_server: TestServer,
) -> None:
    interpreter = await staff(dasan_server, "interpreter.ksl")
    caller = await citizen(dasan_server)
    stranger = await citizen(dasan_server)
    try:
        await interpreter.call("set_presence", {"status": "available"})
        ack = await caller.call("request", {"service": "chat"})
        assert ack["ok"], ack
        offer = await interpreter.next("offer")
        assert (offer["service"], offer["language"]) == ("chat", "ko")
        await interpreter.call("accept_offer", {"offer_id": offer["offer_id"]})
        room = (await caller.next("session_started"))["room_id"]
        await interpreter.next("session_started")
        # No media connects in a text chat: the roster comes with the start.
        for party, you in ((caller, "citizen"), (interpreter, "interpreter")):
            roster = await party.next("roster")
            assert roster["room_id"] == room
            seen = {p["role"]: p for p in roster["parties"]}
            assert set(seen) == {"citizen", "interpreter"}, roster
            assert seen[you]["you"] is True
            assert seen["interpreter"]["label"] == "Kim Suhwa"

        sent = await caller.call(
            "send_chat",
            {"room_id": room, "text": "  주민등록등본은\r\n어디서 받나요?\x07 "},
        )
        assert sent["ok"], sent
        assert sent["message"]["text"] == "주민등록등본은\n어디서 받나요?"
        heard = await interpreter.next("chat_message")
        assert heard == sent["message"]
        assert heard["sender"] == "citizen"
        assert (await caller.next("chat_message"))["seq"] == 0  # the sender too

        reply = await interpreter.call(
            "send_chat", {"room_id": room, "text": "정부24나 주민센터에서요."}
        )
        seen = await caller.next_matching("chat_message", "seq", 1)
        assert seen["sender"] == "interpreter"
        assert seen["sender_name"] == "Kim Suhwa"
        assert reply["message"] == seen

        history = await interpreter.call("chat_history", {"room_id": room})
        assert [m["text"] for m in history["messages"]] == [
            "주민등록등본은\n어디서 받나요?",
            "정부24나 주민센터에서요.",
        ]

        # Refused, and nothing is added to the transcript.
        for bad, code in (
            ({"room_id": room, "text": "가" * 1001}, "invalid_payload"),
            ({"room_id": room, "text": " \n\t "}, "invalid_payload"),
            ({"room_id": room}, "invalid_payload"),
        ):
            refused = await caller.call("send_chat", bad)
            assert refused["error"]["code"] == code, bad
        for event in ("send_chat", "chat_history"):
            intruded = await stranger.call(event, {"room_id": room, "text": "hi"})
            if event == "chat_history":
                intruded = await stranger.call(event, {"room_id": room})
            assert intruded["error"]["code"] == "not_in_room"
        assert len(await runtime(dasan_server).chat.transcript(ack["case_id"])) == 2

        await caller.call("hang_up", {"room_id": room})
        await interpreter.next("session_ended")
        ended = await caller.call("send_chat", {"room_id": room, "text": "one more"})
        assert ended["error"]["code"] == "not_in_room"
    finally:
        for party in (interpreter, caller, stranger):
            await party.sio.disconnect()

    case = await runtime(dasan_server).cases.get(ack["case_id"])
    assert case is not None
    assert case.channel == "chat"
    _, token = await login(dasan_server, "supervisor")
    async with (
        aiohttp.ClientSession(
            base_url(dasan_server), cookies={"dasan_session": token}
        ) as http,
        http.get(f"/api/cases/{ack['case_id']}") as response,
    ):
        detail = await response.json()
    assert [line["sender"] for line in detail["transcript"]] == [
        "citizen",
        "interpreter",
    ]
    assert detail["channel"] == "chat"
