"""A counselor's and a listening supervisor's reload through a real server:
within the reconnect grace period the console's new connection gets the
session back (the same party, the same media slot with every viewer, the chat
so far) while the others' media goes on; after it, they have left.

Real socket.io clients and real aiortc peers, as in ``test_threeway``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestServer

from benchmarks.media_relay import EncodedClip
from counseling.cases import EventKind
from tests.integration.conftest import login, runtime
from tests.integration.rooms import (
    BOTH,
    Someone,
    accept_next,
    available,
    clips,  # noqa: F401  (the module's fixture)
    console,
    entry,
    everyone,  # noqa: F401
    receiving,
    start_session,
    until,
)


async def drop(someone: Someone, watcher: Someone) -> None:
    """The page goes away (socket and peer connection close); ``watcher``
    sees the party reconnecting."""
    if someone.peer is not None:
        await someone.peer.close()
        someone.peer = None
    await someone.io.sio.disconnect()
    await until(
        lambda: bool((entry(watcher, someone.label) or {}).get("reconnecting")),
        f"{watcher.name} sees {someone.name} reconnecting",
    )


async def reload(
    server: TestServer, someone: Someone, token: str, made: list[Someone]
) -> Someone:
    """The page drops, then a new page connects with the same cookie."""
    await drop(someone, next(m for m in made if m.name == "citizen"))
    again = await console(server, token, someone.name, someone.clip)
    again.label = someone.label
    made.append(again)
    return again


async def with_counselor(
    server: TestServer,
    media: dict[str, dict[str, EncodedClip]],
    made: list[Someone],
) -> tuple[Someone, Someone, Someone, str, str, str]:
    """A session with a welfare counselor in it, everyone's media flowing.
    Returns the citizen, interpreter, counselor, case id, and the counselor's
    cookie and staff id."""
    citizen, interpreter, case_id = await start_session(server, media, made)
    profile, token = await login(server, "counselor.welfare")
    counselor = await console(server, token, "counselor", media["counselor"])
    counselor.label = str(profile["display_name"])
    made.append(counselor)
    await available(counselor)
    ack = await interpreter.io.call(
        "request_counselor", {"room_id": citizen.room_id, "department": "welfare"}
    )
    assert ack == {"ok": True}
    await accept_next(counselor, "counselor")
    for someone in (citizen, interpreter, counselor):
        await someone.connect_media()
    await receiving(citizen, {"counselor": (counselor, BOTH)})
    await receiving(counselor, {"citizen": (citizen, BOTH)})
    return citizen, interpreter, counselor, case_id, token, str(profile["id"])


async def pass_the_grace(server: TestServer) -> None:
    """The grace period passes (30 s by default): the timer lets them go."""
    desk = runtime(server).desk
    real_clock = desk._clock
    desk._clock = lambda: real_clock() + timedelta(seconds=31)
    try:
        await desk.tick()
    finally:
        desk._clock = real_clock


def counts(viewer: Someone, publishers: dict[str, Someone]) -> dict[Any, int]:
    return {(n, k): viewer.seen(p, k) for n, p in publishers.items() for k in BOTH}


async def test_a_counselor_reload_within_the_grace_keeps_place_media_and_chat(
    dasan_server: TestServer,
    clips: dict[str, dict[str, EncodedClip]],  # noqa: F811
    everyone: list[Someone],  # noqa: F811
) -> None:
    server = dasan_server
    citizen, interpreter, counselor, case_id, token, _ = await with_counselor(
        server, clips, everyone
    )
    room_id = citizen.room_id
    before = entry(citizen, counselor.label) or {}
    assert before["role"] == "counselor" and before["media"]["video"] is not None
    said = await counselor.io.call(
        "send_chat", {"room_id": room_id, "text": "welfare here"}
    )
    assert said["ok"], said

    counselor = await reload(server, counselor, token, everyone)
    # Meanwhile the citizen and the interpreter keep seeing each other.
    await receiving(
        citizen,
        {"interpreter": (interpreter, BOTH)},
        counts(citizen, {"interpreter": interpreter}),
    )
    # The console gets the session back, as the interpreter's does after a reload.
    started = await counselor.io.next("session_started")
    assert started["room_id"] == room_id
    counselor.room_id = room_id
    for viewer in (citizen, interpreter, counselor):
        await until(
            lambda v=viewer: (
                (entry(v, counselor.label) or {}).get("reconnecting") is False
            ),
            f"{viewer.name} sees the counselor back",
        )
    mine = entry(counselor, counselor.label) or {}
    assert mine["you"] and mine["role"] == "counselor"
    assert mine["party"] == before["party"]
    history = await counselor.io.call("chat_history", {"room_id": room_id})
    assert [m["text"] for m in history["messages"]] == ["welfare here"]
    # A new peer connection into the same slots.
    seen = counts(citizen, {"counselor": counselor})
    await counselor.connect_media()
    await receiving(citizen, {"counselor": (counselor, BOTH)}, seen)
    await receiving(
        counselor, {"citizen": (citizen, BOTH), "interpreter": (interpreter, BOTH)}
    )
    assert (entry(citizen, counselor.label) or {})["media"] == before["media"]
    # Still in the session: chat reaches everyone.
    said = await counselor.io.call("send_chat", {"room_id": room_id, "text": "back"})
    assert said["ok"], said
    await citizen.io.next_matching("chat_message", "text", "back")

    case = await runtime(server).cases.get(case_id)
    assert case is not None
    kinds = [e.kind for e in case.events]
    assert kinds.count(EventKind.PARTY_JOINED) == 1
    assert EventKind.PARTY_LEFT not in kinds


async def test_after_the_grace_the_counselor_has_left(
    dasan_server: TestServer,
    clips: dict[str, dict[str, EncodedClip]],  # noqa: F811
    everyone: list[Someone],  # noqa: F811
) -> None:
    server = dasan_server
    citizen, interpreter, counselor, case_id, token, staff_id = await with_counselor(
        server, clips, everyone
    )
    label = counselor.label
    await drop(counselor, citizen)
    await pass_the_grace(server)
    for viewer in (citizen, interpreter):
        await until(
            lambda v=viewer: entry(v, label) is None,
            f"{viewer.name} sees the counselor gone",
        )
    desk = runtime(server).desk
    pool = await desk._store.snapshot()
    session = pool.room(citizen.room_id)
    assert session is not None and session.parties == ()
    assert pool.session_of(staff_id) is None
    # The case records them leaving as connection_lost; the session goes on.
    case = await runtime(server).cases.get(case_id)
    assert case is not None
    left = [e for e in case.events if e.kind is EventKind.PARTY_LEFT]
    assert len(left) == 1
    seen = counts(citizen, {"interpreter": interpreter})
    await receiving(citizen, {"interpreter": (interpreter, BOTH)}, seen)
    # Back too late: a fresh start, no session to rejoin.
    again = await console(server, token, "counselor", counselor.clip)
    everyone.append(again)
    status = await again.io.next("status")
    assert status["status"] == "away"
    assert await desk.current_session(staff_id) is None


async def test_a_listening_supervisor_reloads_within_the_grace(
    dasan_server: TestServer,
    clips: dict[str, dict[str, EncodedClip]],  # noqa: F811
    everyone: list[Someone],  # noqa: F811
) -> None:
    server = dasan_server
    citizen, interpreter, case_id = await start_session(server, clips, everyone)
    room_id = citizen.room_id
    _, token = await login(server, "supervisor")
    boss = await console(server, token, "boss", clips["boss"])
    boss.label = "Supervisor"  # listening in, a supervisor shows by role
    everyone.append(boss)
    watched = await boss.io.call("watch_session", {"room_id": room_id})
    assert watched["ok"], watched
    boss.room_id = room_id
    for someone in (citizen, interpreter, boss):
        await someone.connect_media()
    publishing: dict[str, tuple[Someone, tuple[str, ...]]] = {
        "citizen": (citizen, BOTH),
        "interpreter": (interpreter, BOTH),
    }
    await receiving(boss, publishing)
    ref = (entry(citizen, boss.label) or {})["party"]

    boss = await reload(server, boss, token, everyone)
    assert citizen.roster()["supervisor_present"]  # still listening, reconnecting
    started = await boss.io.next("session_started")
    assert started["room_id"] == room_id
    again = await boss.io.call("watch_session", {"room_id": room_id})
    assert again["ok"], again
    boss.room_id = room_id
    await until(
        lambda: (entry(citizen, boss.label) or {}).get("reconnecting") is False,
        "the citizen sees the supervisor back",
    )
    assert (entry(citizen, boss.label) or {})["party"] == ref
    await boss.connect_media()
    await receiving(boss, publishing)
    # Listening twice from the same place is refused while they are there.
    twice = await boss.io.call("watch_session", {"room_id": room_id})
    assert twice["error"]["code"] == "already_in_room"

    # A second drop, not back in time: they leave, the session goes on.
    await drop(boss, citizen)
    await pass_the_grace(server)
    await until(
        lambda: not citizen.roster()["supervisor_present"],
        "the citizen sees the supervisor gone",
    )
    case = await runtime(server).cases.get(case_id)
    assert case is not None
    kinds = [e.kind for e in case.events]
    assert kinds.count(EventKind.PARTY_JOINED) == 1
    assert kinds.count(EventKind.PARTY_LEFT) == 1
