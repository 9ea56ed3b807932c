"""A guest's reload through a real server: within the reconnect grace period the
guest's new connection takes up the same place (party, media slot with every
viewer, the chat so far); after it, the place is gone. Two guests in one room
tell their own chat messages from each other's by the sender's party id.

Real socket.io clients and real aiortc peers, as in ``test_threeway``.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestServer

from benchmarks.media_relay import EncodedClip
from counseling.cases import EventKind
from tests.integration import peers
from tests.integration.conftest import base_url, runtime
from tests.integration.rooms import (
    BOTH,
    Someone,
    clips,  # noqa: F401  (the module's fixture)
    entry,
    everyone,  # noqa: F401
    guest_with_invite,
    receiving,
    start_session,
    until,
)


async def reload_guest(
    server: TestServer, guest: Someone, made: list[Someone]
) -> Someone:
    """The guest's page goes away (its socket and peer connection close) and a
    new page connects: a fresh socket.io client, nothing else kept but the clip."""
    if guest.peer is not None:
        await guest.peer.close()
        guest.peer = None
    await guest.io.sio.disconnect()
    again = Someone(guest.name, peers.Party("/guest"), guest.clip, label=guest.label)
    made.append(again)
    await again.io.connect(base_url(server))
    return again


async def test_a_reload_within_the_grace_keeps_the_place_media_and_chat(
    dasan_server: TestServer,
    clips: dict[str, dict[str, EncodedClip]],  # noqa: F811
    everyone: list[Someone],  # noqa: F811
) -> None:
    server = dasan_server
    citizen, interpreter, case_id = await start_session(server, clips, everyone)
    room_id = citizen.room_id
    guest, invite = await guest_with_invite(server, interpreter, clips, everyone)
    joined = await guest.io.call("join", {"invite": invite})
    assert joined["ok"], joined
    token = joined["resume_token"]
    assert len(token) == 22 and joined["audio_only"] is False
    guest.room_id = room_id
    for someone in (citizen, interpreter, guest):
        await someone.connect_media()
    await receiving(citizen, {"guest": (guest, BOTH)})
    slot = (entry(citizen, "Guest") or {})["media"]
    assert slot["video"] is not None
    said = await guest.io.call("send_chat", {"room_id": room_id, "text": "one moment"})
    assert said["ok"] and said["message"]["sender_party"] == joined["party"]
    # The server keeps only the token's hash.
    pool = await runtime(server).desk._store.snapshot()
    assert token not in str(pool.room(room_id))

    # The page reloads: the others see the guest reconnecting, still in the room.
    guest = await reload_guest(server, guest, everyone)
    for viewer in (citizen, interpreter):
        await until(
            lambda v=viewer: bool((entry(v, "Guest") or {}).get("reconnecting")),
            f"{viewer.name} sees the guest reconnecting",
        )

    # The new page takes the place up again with the token: the same party.
    back = await guest.io.call("resume", {"resume_token": token})
    assert back["ok"], back
    assert back["party"] == joined["party"] and back["room_id"] == room_id
    assert back["resume_token"] == token and "case_id" not in back
    guest.room_id = room_id
    for viewer in (citizen, interpreter):
        await until(
            lambda v=viewer: (entry(v, "Guest") or {}).get("reconnecting") is False,
            f"{viewer.name} sees the guest back",
        )
    # The chat so far, with the guest's own message as theirs.
    history = await guest.io.call("chat_history", {"room_id": room_id})
    assert history["you"] == joined["party"]
    assert [(m["text"], m["sender_party"]) for m in history["messages"]] == [
        ("one moment", joined["party"])
    ]
    # A new peer connection: the citizen gets the guest's video on the same slot.
    before = {(n, k): citizen.seen(guest, k) for n in ("guest",) for k in BOTH}
    await guest.connect_media()
    await receiving(citizen, {"guest": (guest, BOTH)}, before)
    await receiving(guest, {"citizen": (citizen, BOTH)})
    assert (entry(citizen, "Guest") or {})["media"] == slot

    # One guest in the room all along: joined once, never left.
    case = await runtime(server).cases.get(case_id)
    assert case is not None
    kinds = [e.kind for e in case.events]
    assert kinds.count(EventKind.PARTY_JOINED) == 1
    assert EventKind.PARTY_LEFT not in kinds
    # The token is not a second invite: joining with the invite again is refused.
    reused = await guest.io.call("join", {"invite": invite})
    assert reused["error"]["code"] in ("invite_used", "already_in_room")


async def test_after_the_grace_the_guest_is_gone(
    dasan_server: TestServer,
    clips: dict[str, dict[str, EncodedClip]],  # noqa: F811
    everyone: list[Someone],  # noqa: F811
) -> None:
    server = dasan_server
    citizen, interpreter, case_id = await start_session(server, clips, everyone)
    room_id = citizen.room_id
    guest, invite = await guest_with_invite(server, interpreter, clips, everyone)
    joined = await guest.io.call("join", {"invite": invite, "audio_only": True})
    assert joined["ok"], joined
    guest.room_id = room_id
    for someone in (citizen, interpreter):
        await someone.connect_media()
    await guest.connect_media(video=False)
    await receiving(citizen, {"guest": (guest, ("audio",))})

    guest = await reload_guest(server, guest, everyone)
    await until(
        lambda: bool((entry(citizen, "Guest") or {}).get("reconnecting")),
        "the citizen sees the guest reconnecting",
    )
    # The grace period passes (30 s by default): the timer lets the guest go.
    desk = runtime(server).desk
    real_clock = desk._clock
    desk._clock = lambda: real_clock() + timedelta(seconds=31)
    try:
        await desk.tick()
    finally:
        desk._clock = real_clock
    for viewer in (citizen, interpreter):
        await until(
            lambda v=viewer: entry(v, "Guest") is None,
            f"{viewer.name} sees the guest gone",
        )
    late = await guest.io.call("resume", {"resume_token": joined["resume_token"]})
    assert late["error"]["code"] == "not_in_room"
    bad = await guest.io.call("resume", {"resume_token": "x"})
    assert bad["error"]["code"] == "invalid_payload"
    # Gone from the media room too: the citizen's roster has no slot for them.
    assert all(p["role"] != "guest" for p in citizen.roster()["parties"])
    case = await runtime(server).cases.get(case_id)
    assert case is not None
    assert EventKind.PARTY_LEFT in [e.kind for e in case.events]
    # The others go on.
    assert citizen.peer is not None
    assert citizen.peer.pc.connectionState == "connected"


async def test_two_guests_tell_their_messages_apart(
    dasan_server: TestServer,
    clips: dict[str, dict[str, EncodedClip]],  # noqa: F811
    everyone: list[Someone],  # noqa: F811
) -> None:
    server = dasan_server
    citizen, interpreter, case_id = await start_session(server, clips, everyone)
    room_id = citizen.room_id
    first, first_invite = await guest_with_invite(
        server, interpreter, clips, everyone, "guest"
    )
    second, second_invite = await guest_with_invite(
        server, interpreter, clips, everyone, "guest2"
    )
    one = await first.io.call("join", {"invite": first_invite, "audio_only": True})
    two = await second.io.call("join", {"invite": second_invite, "audio_only": True})
    assert one["ok"] and two["ok"], (one, two)
    assert one["party"] != two["party"]

    sent = await first.io.call("send_chat", {"room_id": room_id, "text": "from one"})
    assert sent["message"]["sender_party"] == one["party"]
    heard = await second.io.next_matching("chat_message", "text", "from one")
    assert heard["sender"] == "guest" and heard["sender_party"] == one["party"]
    history = await second.io.call("chat_history", {"room_id": room_id})
    assert history["you"] == two["party"]
    assert history["messages"][0]["sender_party"] != history["you"]

    # Staff and the citizen get the same per-room party ids, never real ids.
    to_citizen = await citizen.io.next_matching("chat_message", "text", "from one")
    assert to_citizen["sender_party"] == one["party"]
    said = await citizen.io.call("send_chat", {"room_id": room_id, "text": "hi"})
    mine = await citizen.io.call("chat_history", {"room_id": room_id})
    assert said["message"]["sender_party"] == mine["you"]
    staff_history = await interpreter.io.call("chat_history", {"room_id": room_id})
    assert staff_history["you"] not in (mine["you"], one["party"], two["party"])
    pool = await runtime(server).desk._store.snapshot()
    session = pool.room(room_id)
    assert session is not None
    real_ids = {session.citizen_id, session.staff_id, case_id}
    real_ids |= {p.party_id for p in session.parties}
    for message in staff_history["messages"]:
        assert message["sender_party"] not in real_ids
