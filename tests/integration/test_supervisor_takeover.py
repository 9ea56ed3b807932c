"""A listening supervisor's reload racing its own disconnect, through a real
server: the new connection of the same supervisor asks to listen before the
server saw the old one close, and takes the place (the same party, media again
on the new connection); the old connection is told it listens elsewhere now and
gets none of the room's events any more; its late close changes nothing.
Another supervisor gets a place of their own, never this one.

Real socket.io clients and real aiortc peers, as in ``test_staff_grace``.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from benchmarks.media_relay import EncodedClip
from counseling.cases import EventKind
from counseling.staff import StaffAccount, StaffRole
from interpreter_pool.pool import new_id
from signaling.auth import Passwords
from storage.sql import SqlStaffDirectory
from tests.integration.conftest import (
    DEMO_PASSWORD,
    AppServer,
    login,
    runtime,
    start_server,
)
from tests.integration.local_redis import REDIS_URL
from tests.integration.rooms import (
    BOTH,
    DEADLINE,
    Someone,
    clips,  # noqa: F401  (the module's fixture)
    console,
    entry,
    everyone,  # noqa: F401
    receiving,
    start_session,
    until,
)

STAFF = "/staff"


def sid_of(someone: Someone) -> str:
    sid = someone.io.sio.get_sid(namespace=STAFF)
    assert sid is not None
    return str(sid)


def texts(someone: Someone) -> list[str]:
    """The chat messages ``someone`` was sent so far (without taking them)."""
    queue = someone.io.queue("chat_message")
    got = [queue.get_nowait() for _ in range(queue.qsize())]
    for message in got:
        queue.put_nowait(message)
    return [str(m["text"]) for m in got]


def supervisors(viewer: Someone) -> list[dict[str, Any]]:
    return [p for p in viewer.roster()["parties"] if p["role"] == "supervisor"]


async def flushed(someone: Someone) -> None:
    """A round trip on ``someone``'s connection: whatever the server sent it
    before answering has arrived."""
    ack = await someone.io.call("departments", {})
    assert ack["ok"], ack


async def add_supervisor(server: TestServer, username: str) -> None:
    await SqlStaffDirectory(runtime(server).database).add(
        StaffAccount(
            new_id(),
            username,
            "Second supervisor",
            StaffRole.SUPERVISOR,
            frozenset(),
            Passwords().hash(DEMO_PASSWORD),
        )
    )


@pytest.fixture(params=["memory", "redis"])
async def server(
    request: pytest.FixtureRequest, aiohttp_server: AppServer, tmp_path: Path
) -> TestServer:
    """The service with its pool in this process, then in Redis."""
    if request.param == "memory":
        return await start_server(aiohttp_server, tmp_path)
    return await start_server(
        aiohttp_server,
        tmp_path,
        redis_url=REDIS_URL,
        redis_prefix=f"test-takeover-{secrets.token_hex(6)}",
    )


async def test_a_new_connection_of_the_listening_supervisor_takes_the_place(
    server: TestServer,
    clips: dict[str, dict[str, EncodedClip]],  # noqa: F811
    everyone: list[Someone],  # noqa: F811
) -> None:
    citizen, interpreter, case_id = await start_session(server, clips, everyone)
    room_id = citizen.room_id
    profile, token = await login(server, "supervisor")
    boss_id = str(profile["id"])
    old = await console(server, token, "boss", clips["boss"])
    old.label = "Supervisor"  # listening in, a supervisor shows by role
    everyone.append(old)
    watched = await old.io.call("watch_session", {"room_id": room_id})
    assert watched["ok"], watched
    old.room_id = room_id
    for someone in (citizen, interpreter, old):
        await someone.connect_media()
    publishing: dict[str, tuple[Someone, tuple[str, ...]]] = {
        "citizen": (citizen, BOTH),
        "interpreter": (interpreter, BOTH),
    }
    await receiving(old, publishing)
    ref = (entry(citizen, old.label) or {})["party"]
    said = await interpreter.io.call("send_chat", {"room_id": room_id, "text": "one"})
    assert said["ok"], said
    await old.io.next_matching("chat_message", "text", "one")

    # The reloaded page connects while the old one is still connected (the
    # server has not seen it close): the server hands the session back, and
    # asking to listen takes the place instead of already_in_room.
    new = await console(server, token, "boss", clips["boss"])
    new.label = old.label
    everyone.append(new)
    started = await new.io.next("session_started")
    assert started["room_id"] == room_id
    again = await new.io.call("watch_session", {"room_id": room_id})
    assert again["ok"], again
    assert again["session"]["room_id"] == room_id
    new.room_id = room_id
    left = await old.io.next("left_room")
    assert left == {"room_id": room_id, "reason": "elsewhere"}

    pool = await runtime(server).desk._store.snapshot()
    session = pool.room(room_id)
    assert session is not None
    (place,) = [p for p in session.parties if p.party_id == boss_id]
    assert place.connection == sid_of(new) and place.grace_until is None
    assert len(supervisors(citizen)) == 1
    assert (entry(citizen, new.label) or {})["party"] == ref

    # The room's events reach the new connection only.
    said = await interpreter.io.call("send_chat", {"room_id": room_id, "text": "two"})
    assert said["ok"], said
    await new.io.next_matching("chat_message", "text", "two")
    await flushed(old)
    assert "two" not in texts(old)  # it did get "one" above
    # Media again on the new connection, into the same place.
    await new.connect_media()
    await receiving(new, publishing)

    # The old page's close, seen late, leaves the place alone.
    desk = runtime(server).desk
    gone = asyncio.Event()
    old_sid = sid_of(old)
    real_disconnected = desk.staff_disconnected

    async def disconnected(staff_id: str, connection: str) -> None:
        await real_disconnected(staff_id, connection)
        if connection == old_sid:
            gone.set()

    desk.staff_disconnected = disconnected
    try:
        assert old.peer is not None
        await old.peer.close()
        old.peer = None
        await old.io.sio.disconnect()
        await asyncio.wait_for(gone.wait(), DEADLINE)
    finally:
        desk.staff_disconnected = real_disconnected
    await flushed(new)
    pool = await runtime(server).desk._store.snapshot()
    session = pool.room(room_id)
    assert session is not None
    (place,) = [p for p in session.parties if p.party_id == boss_id]
    assert place.connection == sid_of(new) and place.grace_until is None
    chat = await citizen.io.call("chat_history", {"room_id": room_id})
    assert chat["ok"], chat
    assert (entry(citizen, new.label) or {}).get("reconnecting") is False

    # Another supervisor gets a place of their own; this one stays put.
    await add_supervisor(server, "supervisor.two")
    _, other_token = await login(server, "supervisor.two")
    other = await console(server, other_token, "boss2", clips["boss"])
    everyone.append(other)
    theirs = await other.io.call("watch_session", {"room_id": room_id})
    assert theirs["ok"], theirs
    await until(lambda: len(supervisors(citizen)) == 2, "two supervisors listen")
    assert ref in {p["party"] for p in supervisors(citizen)}
    twice = await other.io.call("watch_session", {"room_id": room_id})
    assert twice["error"]["code"] == "already_in_room"
    twice = await new.io.call("watch_session", {"room_id": room_id})
    assert twice["error"]["code"] == "already_in_room"
    said = await interpreter.io.call("send_chat", {"room_id": room_id, "text": "three"})
    assert said["ok"], said
    await new.io.next_matching("chat_message", "text", "three")
    await other.io.next_matching("chat_message", "text", "three")

    case = await runtime(server).cases.get(case_id)
    assert case is not None
    kinds = [e.kind for e in case.events]
    assert kinds.count(EventKind.PARTY_JOINED) == 2  # boss once, the other once
    assert EventKind.PARTY_LEFT not in kinds
