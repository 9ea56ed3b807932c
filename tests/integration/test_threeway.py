"""Three-way sessions through a real server: a counselor through the counselor
queue, an audio-only guest through an invite, a supervisor listening in, a
party leaving, a warm transfer, and role violations that change nothing.

Every party is a real aiortc peer that offers its own audio and video plus
recvonly slots once; each publisher sends a different clip, so the bytes in a
slot say whose media it carries, and the slot is found the way a browser finds
it: through the ``roster`` event the server pushed to that party.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestServer

from benchmarks.media_relay import EncodedClip
from counseling.cases import EventKind, Party
from tests.integration.conftest import runtime
from tests.integration.rooms import (
    BOTH,
    Someone,
    accept_next,
    add_second_interpreter,
    available,
    clips,
    everyone,
    guest_with_invite,
    receiving,
    staff,
    start_session,
    until,
)

__all__ = ["clips", "everyone"]  # fixtures used here


def ref_of(someone: Someone, viewer: Someone) -> str:
    return str(
        next(
            p["party"]
            for p in viewer.roster()["parties"]
            if p["label"] == someone.label
        )
    )


async def test_four_parties_a_supervisor_a_leave_and_a_warm_transfer(
    dasan_server: TestServer,
    clips: dict[str, dict[str, EncodedClip]],
    everyone: list[Someone],
) -> None:
    server = dasan_server
    await add_second_interpreter(server)
    citizen, interpreter, case_id = await start_session(server, clips, everyone)
    room_id = citizen.room_id

    # The interpreter pulls in a welfare counselor through the counselor queue.
    counselor, counselor_id = await staff(
        server, "counselor.welfare", "counselor", clips, everyone
    )
    await available(counselor)
    departments = await interpreter.io.call("departments", {})
    assert "welfare" in departments["departments"]
    ack = await interpreter.io.call(
        "request_counselor", {"room_id": room_id, "department": "welfare"}
    )
    assert ack == {"ok": True}
    started = await accept_next(counselor, "counselor")
    assert started["room_id"] == room_id and started["peer"]["role"] == "citizen"

    # An audio-only guest comes in through a single-use invite.
    guest, invite = await guest_with_invite(server, interpreter, clips, everyone)
    joined = await guest.io.call("join", {"invite": invite, "audio_only": True})
    assert joined["ok"], joined
    assert "case_id" not in joined and joined["room_id"] == room_id
    guest.room_id = room_id

    for someone in (citizen, interpreter, counselor):
        await someone.connect_media()
    await guest.connect_media(video=False)

    publishing = {
        "citizen": (citizen, BOTH),
        "interpreter": (interpreter, BOTH),
        "counselor": (counselor, BOTH),
        "guest": (guest, ("audio",)),
    }
    for viewer in (citizen, interpreter, counselor, guest):
        others = {n: p for n, p in publishing.items() if n != viewer.name}
        await receiving(viewer, others)
        roster = viewer.roster()
        roles = sorted(p["role"] for p in roster["parties"])
        assert roles == ["citizen", "counselor", "guest", "interpreter"]
        assert [p["you"] for p in roster["parties"]].count(True) == 1
        assert not roster["supervisor_present"]
        audio_only = {p["role"]: p["audio_only"] for p in roster["parties"]}
        assert audio_only["guest"] and not audio_only["counselor"]
    # The guest sees the room, never the case: no case id, opaque party ids.
    for roster in guest.rosters:
        assert case_id not in str(roster)
        assert counselor_id not in str(roster)

    # A supervisor listens in: everyone sees them; they publish nothing.
    boss, _ = await staff(server, "supervisor", "boss", clips, everyone)
    watched = await boss.io.call("watch_session", {"room_id": room_id})
    assert watched["ok"], watched
    boss.room_id = room_id
    await boss.connect_media()  # offers a camera; the server takes none of it
    for viewer in (citizen, interpreter, counselor, guest):
        await until(
            lambda v=viewer: v.roster()["supervisor_present"],
            f"{viewer.name} sees the supervisor",
        )
        boss_entry = next(
            p for p in viewer.roster()["parties"] if p["role"] == "supervisor"
        )
        assert not boss_entry["publishes"]
        assert boss_entry["media"] == {"audio": None, "video": None}
    await receiving(boss, publishing)
    assert boss.peer is not None and boss.peer.tracks["video"].sent == 0

    # Room full: a sixth party is refused, and nothing changes.
    second_guest, second_invite = await guest_with_invite(
        server, interpreter, clips, everyone, "guest2"
    )
    case_before = await runtime(server).cases.get(case_id)
    roster_before = citizen.roster()
    full = await second_guest.io.call("join", {"invite": second_invite})
    assert full["error"]["code"] == "room_full"
    reused = await second_guest.io.call("join", {"invite": invite})
    assert reused["error"]["code"] == "invite_used"
    assert await runtime(server).cases.get(case_id) == case_before
    assert citizen.roster() == roster_before

    # The guest leaves; the others keep receiving each other.
    staying = {n: p for n, p in publishing.items() if n != "guest"}
    counts = {
        viewer.name: {
            (n, k): viewer.seen(p, k)
            for n, (p, kinds) in staying.items()
            if n != viewer.name
            for k in kinds
        }
        for viewer in (citizen, interpreter, counselor)
    }
    assert (await guest.io.call("leave", {"room_id": room_id}))["ok"]
    for viewer in (citizen, interpreter, counselor):
        await until(
            lambda v=viewer: all(p["role"] != "guest" for p in v.roster()["parties"]),
            f"{viewer.name} sees the guest leave",
        )
        others = {n: p for n, p in staying.items() if n != viewer.name}
        await receiving(viewer, others, counts[viewer.name])
        assert viewer.peer is not None
        assert viewer.peer.pc.connectionState == "connected"

    # Warm transfer to a named interpreter: they join, then the first leaves;
    # the citizen's peer connection and tile stay, now carrying the new one.
    successor, successor_id = await staff(
        server, "interpreter.ksl2", "interpreter2", clips, everyone
    )
    await available(successor)
    citizen_pc = citizen.peer.pc if citizen.peer else None
    tile = next(
        p["media"] for p in citizen.roster()["parties"] if p["role"] == "interpreter"
    )
    states: list[str] = []
    assert citizen_pc is not None
    citizen_pc.on("connectionstatechange", lambda: states.append("changed"))
    ack = await interpreter.io.call(
        "transfer", {"room_id": room_id, "to_staff_id": successor_id}
    )
    assert ack == {"ok": True}
    await accept_next(successor, "transfer")
    await successor.connect_media()
    left = await interpreter.io.next("left_room")
    assert left == {"room_id": room_id, "reason": "transferred"}
    await until(
        lambda: (
            any(
                p["label"] == successor.label and p["role"] == "interpreter"
                for p in citizen.roster()["parties"]
            )
            and all(
                p["label"] != interpreter.label for p in citizen.roster()["parties"]
            )
        ),
        "the citizen's roster shows the new interpreter only",
    )
    now_tile = next(
        p["media"] for p in citizen.roster()["parties"] if p["role"] == "interpreter"
    )
    assert now_tile == tile
    await receiving(citizen, {"interpreter2": (successor, BOTH)})
    await receiving(successor, {"citizen": (citizen, BOTH)})
    assert citizen.peer is not None and citizen.peer.pc is citizen_pc
    assert citizen_pc.connectionState == "connected" and states == []

    # Only the session's interpreter now manages the room.
    refused = await interpreter.io.call("create_invite", {"room_id": room_id})
    assert refused["error"]["code"] == "not_allowed"

    assert (await citizen.io.call("hang_up", {"room_id": room_id}))["ok"]
    assert (await counselor.io.next("session_ended"))["room_id"] == room_id
    assert (await successor.io.next("session_ended"))["room_id"] == room_id

    case = await runtime(server).cases.get(case_id)
    assert case is not None and case.interpreter_id == successor_id
    kinds = [e.kind for e in case.events]
    for kind in (
        EventKind.COUNSELOR_REQUESTED,
        EventKind.INVITE_CREATED,
        EventKind.INVITE_USED,
        EventKind.TRANSFER_REQUESTED,
        EventKind.TRANSFERRED,
    ):
        assert kind in kinds, kind
    people = case.participants()
    roles = sorted(p.role.value for p in people)
    assert roles == [
        "citizen",
        "counselor",
        "guest",
        "interpreter",
        "interpreter",
        "supervisor",
    ]
    assert all(p.left_at is not None and p.joined_at <= p.left_at for p in people)
    guest_times = next(p for p in people if p.role is Party.GUEST)
    assert guest_times.left_at is not None and case.ended_at is not None
    assert guest_times.left_at < case.ended_at


async def test_role_violations_change_nothing(
    dasan_server: TestServer,
    clips: dict[str, dict[str, EncodedClip]],
    everyone: list[Someone],
) -> None:
    server = dasan_server
    citizen, interpreter, case_id = await start_session(server, clips, everyone)
    room_id = citizen.room_id
    guest, invite = await guest_with_invite(server, interpreter, clips, everyone)
    assert (await guest.io.call("join", {"invite": invite}))["ok"]
    guest.room_id = room_id
    await until(lambda: len(citizen.roster()["parties"]) == 3, "the guest's roster")
    guest_ref = ref_of(guest, citizen)
    interpreter_ref = ref_of(interpreter, citizen)

    case_before = await runtime(server).cases.get(case_id)
    rosters_before = [s.roster() for s in (citizen, interpreter, guest)]
    for someone in (citizen, guest):
        for event, payload in (
            ("create_invite", {"room_id": room_id}),
            ("remove_party", {"room_id": room_id, "party": guest_ref}),
            ("remove_party", {"room_id": room_id, "party": interpreter_ref}),
            ("request_counselor", {"room_id": room_id, "department": "welfare"}),
            ("transfer", {"room_id": room_id}),
        ):
            ack = await someone.io.call(event, payload)
            assert ack["ok"] is False, (someone.name, event, ack)
            assert ack["error"]["code"] == "not_allowed", (someone.name, event)
    not_super = await interpreter.io.call("watch_session", {"room_id": room_id})
    assert not_super["error"]["code"] == "not_allowed"
    # Bad input from the interpreter is refused too.
    bad_input: tuple[tuple[str, dict[str, object], str | None], ...] = (
        ("remove_party", {"room_id": room_id, "party": "0" * 32}, "unknown_party"),
        ("request_counselor", {"room_id": room_id, "department": "zoo"}, None),
        ("create_invite", {"room_id": room_id, "expires_in_minutes": 0}, None),
        ("transfer", {"room_id": room_id, "to_staff_id": "0" * 32}, None),
    )
    for event, body, code in bad_input:
        ack = await interpreter.io.call(event, body)
        assert ack["ok"] is False, (event, ack)
        if code is not None:
            assert ack["error"]["code"] == code
    unknown_department = await interpreter.io.call(
        "request_counselor", {"room_id": room_id, "department": "zoo"}
    )
    assert unknown_department["error"]["code"] == "unknown_department"
    unavailable = await interpreter.io.call(
        "transfer", {"room_id": room_id, "to_staff_id": "0" * 32}
    )
    assert unavailable["error"]["code"] == "staff_unavailable"

    # Unknown, reused and expired invites.
    stranger, _ = await guest_with_invite(server, interpreter, clips, everyone, "x")
    unknown = await stranger.io.call("join", {"invite": "A" * 22})
    assert unknown["error"]["code"] == "invite_unknown"
    reused = await stranger.io.call("join", {"invite": invite})
    assert reused["error"]["code"] == "invite_used"
    short = await interpreter.io.call(
        "create_invite", {"room_id": room_id, "expires_in_minutes": 1}
    )
    desk = runtime(server).desk
    real_clock = desk._clock
    desk._clock = lambda: real_clock() + timedelta(minutes=2)
    try:
        expired = await stranger.io.call("join", {"invite": short["invite"]})
    finally:
        desk._clock = real_clock
    assert expired["error"]["code"] == "invite_expired"
    bad = await stranger.io.call("join", {"invite": "no"})
    assert bad["error"]["code"] == "invalid_payload"

    # The case gained only the invites made; nobody joined or left.
    case_after = await runtime(server).cases.get(case_id)
    assert case_before is not None and case_after is not None
    added = case_after.events[len(case_before.events) :]
    assert case_after.events[: len(case_before.events)] == case_before.events
    assert {e.kind for e in added} == {EventKind.INVITE_CREATED}
    assert case_after.interpreter_id == case_before.interpreter_id
    assert [s.roster() for s in (citizen, interpreter, guest)] == rosters_before

    # The interpreter may remove the guest.
    ack = await interpreter.io.call(
        "remove_party", {"room_id": room_id, "party": guest_ref}
    )
    assert ack == {"ok": True}
    assert (await guest.io.next("left_room"))["reason"] == "removed"
    after_removal = await guest.io.call("send_chat", {"room_id": room_id, "text": "hi"})
    assert after_removal["error"]["code"] == "not_in_room"


async def test_the_guest_chats_without_seeing_the_case(
    dasan_server: TestServer,
    clips: dict[str, dict[str, EncodedClip]],
    everyone: list[Someone],
) -> None:
    server = dasan_server
    citizen, interpreter, case_id = await start_session(server, clips, everyone)
    room_id = citizen.room_id
    guest, invite = await guest_with_invite(server, interpreter, clips, everyone)
    assert (await guest.io.call("join", {"invite": invite, "audio_only": True}))["ok"]
    sent = await guest.io.call("send_chat", {"room_id": room_id, "text": "안녕하세요"})
    assert sent["ok"] and "case_id" not in sent["message"]
    assert sent["message"]["sender"] == "guest"
    to_citizen = await citizen.io.next("chat_message")
    assert to_citizen["sender"] == "guest" and to_citizen["case_id"] == case_id
    await interpreter.io.call("send_chat", {"room_id": room_id, "text": "반갑습니다"})
    to_guest = await guest.io.next_matching("chat_message", "sender", "interpreter")
    assert "case_id" not in to_guest
    history = await guest.io.call("chat_history", {"room_id": room_id})
    assert [m["sender"] for m in history["messages"]] == ["guest", "interpreter"]
    assert all("case_id" not in m for m in history["messages"])
    transcript = await runtime(server).chat.transcript(case_id)
    assert [m.sender for m in transcript] == [Party.GUEST, Party.INTERPRETER]
    # The session ends: the guest hears the room closed, without case data.
    assert (await interpreter.io.call("hang_up", {"room_id": room_id}))["ok"]
    assert await guest.io.next("room_closed") == {"room_id": room_id}
