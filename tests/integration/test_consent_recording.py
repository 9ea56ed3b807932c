"""Consent and recording in real sessions: a real server, socket.io parties and
aiortc peers sending real VP8 and Opus; the sealed files are decoded to check
what was written and when.

Recording starts only once everyone present agreed, pauses (nothing written)
while a newcomer has not, resumes on their consent, and stops within a second
of a withdrawal; a stranger's answer is refused; the case's timeline holds each
step; a session whose citizen declines is a case without recordings.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from benchmarks.media_relay import EncodedClip
from benchmarks.media_relay import encode_audio as audio_clip
from benchmarks.media_relay import encode_video as video_clip
from counseling.cases import EventKind
from recording.keys import load_or_create_demo_key
from storage.recordings import Recording, RecordingStatus, SqlRecordings
from tests.integration import peers
from tests.integration.conftest import base_url, runtime
from tests.integration.rooms import (
    Someone,
    accept_next,
    add_second_interpreter,
    available,
    everyone,
    guest_with_invite,
    staff,
    start_session,
    until,
)
from tests.recordings import play

__all__ = ["everyone"]  # a fixture used here


@pytest.fixture(scope="module")
def clips() -> dict[str, dict[str, EncodedClip]]:
    names = ("citizen", "interpreter", "guest", "boss", "interpreter2")
    return {
        name: {
            "video": video_clip(2, 160, 120, seed=40 + i),
            "audio": audio_clip(1, hz=330 + 70 * i),
        }
        for i, name in enumerate(names)
    }


class States:
    """The recording_state notices one party was sent, in order."""

    def __init__(self, someone: Someone) -> None:
        self.someone = someone
        self.seen: list[dict[str, Any]] = []

    def last(self) -> dict[str, Any]:
        queue = self.someone.io.queue("recording_state")
        while not queue.empty():
            self.seen.append(queue.get_nowait())
        return self.seen[-1] if self.seen else {}

    async def reach(self, state: str) -> dict[str, Any]:
        await until(
            lambda: self.last().get("state") == state,
            f"{self.someone.name} is told {state}",
        )
        return self.last()


async def rows(server: TestServer, case_id: str) -> list[Recording]:
    return list(await SqlRecordings(runtime(server).database).for_case(case_id))


async def rows_until(
    server: TestServer, case_id: str, check: Any, what: str
) -> list[Recording]:
    """Poll the case's recording rows until ``check`` holds (30 s at most)."""
    end = time.monotonic() + 30
    while not check(found := await rows(server, case_id)):
        if time.monotonic() > end:
            raise AssertionError(f"timed out: {what}; rows {found}")
        await asyncio.sleep(0.1)
    return found


def gaps(times: list[float]) -> float:
    """The longest stretch without a packet."""
    return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


async def answer(someone: Someone, consent: bool) -> dict[str, Any]:
    ack: dict[str, Any] = await someone.io.call(
        "give_consent", {"room_id": someone.room_id, "consent": consent}
    )
    return ack


async def test_recording_follows_everyones_consent(
    dasan_server: TestServer,
    tmp_path: Path,
    clips: dict[str, dict[str, EncodedClip]],
    everyone: list[Someone],
) -> None:
    server = dasan_server
    key = load_or_create_demo_key(tmp_path)
    citizen, interpreter, case_id = await start_session(server, clips, everyone)
    room_id = citizen.room_id
    for someone in (citizen, interpreter):
        request = await someone.io.next("consent_request")
        assert request == {"room_id": room_id, "records": ["audio", "video"]}
    states = {s.name: States(s) for s in (citizen, interpreter)}
    waiting = await states["citizen"].reach("waiting")
    assert sorted(p["consent"] for p in waiting["parties"]) == ["asked", "asked"]
    assert [p["you"] for p in waiting["parties"]].count(True) == 1
    for someone in (citizen, interpreter):
        await someone.connect_media()

    # One of two agreed: nothing is recorded yet.
    assert await answer(interpreter, True) == {"ok": True}
    await until(
        lambda: (
            sorted(p["consent"] for p in states["citizen"].last()["parties"])
            == ["asked", "given"]
        ),
        "the citizen sees the interpreter agreed",
    )
    assert states["citizen"].last()["state"] == "waiting"
    assert await rows(server, case_id) == []

    # Both agreed: each party's audio and video go into their own file.
    assert await answer(citizen, True) == {"ok": True}
    for s in states.values():
        await s.reach("recording")
    await rows_until(server, case_id, lambda r: len(r) == 4, "four files")

    # A stranger's answer is refused and changes nothing.
    stranger = Someone("stranger", peers.Party("/citizen"), clips["boss"])
    everyone.append(stranger)
    await stranger.io.connect(base_url(server))
    stranger.room_id = room_id
    before = await runtime(server).cases.get(case_id)
    for consent in (False, True):
        refused = await answer(stranger, consent)
        assert refused["ok"] is False
        assert refused["error"]["code"] == "not_in_room"
    assert await runtime(server).cases.get(case_id) == before
    assert states["citizen"].last()["state"] == "recording"

    # A guest joins: the recording pauses until they agree, then resumes.
    guest, invite = await guest_with_invite(server, interpreter, clips, everyone)
    assert (await guest.io.call("join", {"invite": invite}))["ok"]
    guest.room_id = room_id
    assert (await guest.io.next("consent_request"))["room_id"] == room_id
    states["guest"] = States(guest)
    await states["citizen"].reach("paused")
    paused_at = time.time()
    await guest.connect_media()
    await until(
        lambda: guest.peer is not None and guest.peer.tracks["video"].sent > 30,
        "the guest publishes for a while",
    )
    assert await answer(guest, True) == {"ok": True}
    await states["citizen"].reach("recording")
    resumed_at = time.time()
    await states["guest"].reach("recording")
    await rows_until(server, case_id, lambda r: len(r) == 6, "the guest's files")

    # The citizen withdraws: every file stops within a second.
    withdrawn_at = time.time()
    assert await answer(citizen, False) == {"ok": True}
    stopped = await states["interpreter"].reach("stopped")
    mine = next(p for p in states["citizen"].last()["parties"] if p["you"])
    assert mine["consent"] == "withdrawn"
    assert {p["role"]: p["consent"] for p in stopped["parties"]} == {
        "citizen": "withdrawn",
        "interpreter": "given",
        "guest": "given",
    }
    files = await rows_until(
        server,
        case_id,
        lambda r: len(r) == 6 and all(f.status is RecordingStatus.CLOSED for f in r),
        "every file closed",
    )
    for file in files:
        played = play(tmp_path / file.path, key)
        assert played.packets, file
        times = [t for _, t, _ in played.packets]
        last_written = file.started_at.timestamp() + times[-1]
        assert last_written <= withdrawn_at + 1.0, (file.party_role, file.kind)
        if file.party_role == "citizen":
            # Nothing was written while the guest had not agreed.
            assert gaps(times) >= (resumed_at - paused_at) - 0.5, file.kind
        if file.kind == "video":
            assert played.decoded > 0

    assert (await citizen.io.call("hang_up", {"room_id": room_id}))["ok"]
    assert (await interpreter.io.next("session_ended"))["room_id"] == room_id
    case = await runtime(server).cases.get(case_id)
    assert case is not None
    steps = [
        (e.kind, e.detail)
        for e in case.events
        if e.kind.value.startswith(("consent_", "recording_"))
    ]
    assert steps == [
        (EventKind.CONSENT_GIVEN, "interpreter"),
        (EventKind.CONSENT_GIVEN, "citizen"),
        (EventKind.RECORDING_STARTED, None),
        (EventKind.RECORDING_PAUSED, None),
        (EventKind.CONSENT_GIVEN, steps[4][1]),
        (EventKind.RECORDING_RESUMED, None),
        (EventKind.CONSENT_WITHDRAWN, "citizen"),
        (EventKind.RECORDING_STOPPED, None),
    ]
    assert str(steps[4][1]).startswith("guest:")
    interpreter_consent = next(
        e for e in case.events if e.kind is EventKind.CONSENT_GIVEN
    )
    assert interpreter_consent.staff_id == case.interpreter_id


async def test_a_declined_consent_leaves_a_case_without_recordings(
    dasan_server: TestServer,
    tmp_path: Path,
    clips: dict[str, dict[str, EncodedClip]],
    everyone: list[Someone],
) -> None:
    server = dasan_server
    citizen, interpreter, case_id = await start_session(server, clips, everyone)
    room_id = citizen.room_id
    for someone in (citizen, interpreter):
        await someone.connect_media()
    states = States(interpreter)
    assert await answer(interpreter, True) == {"ok": True}
    assert await answer(citizen, False) == {"ok": True}
    told = await states.reach("stopped")
    assert {p["role"]: p["consent"] for p in told["parties"]} == {
        "citizen": "declined",
        "interpreter": "given",
    }
    assert (await citizen.io.call("hang_up", {"room_id": room_id}))["ok"]
    assert (await interpreter.io.next("session_ended"))["room_id"] == room_id

    case = await runtime(server).cases.get(case_id)
    assert case is not None and case.ended_at is not None
    kinds = [e.kind for e in case.events]
    assert EventKind.CONSENT_DECLINED in kinds
    assert not any(k.value.startswith("recording_") for k in kinds)
    assert await rows(server, case_id) == []
    assert not (tmp_path / "recordings").exists() or not any(
        p.is_file() for p in (tmp_path / "recordings").rglob("*")
    )


async def test_after_a_transfer_the_new_interpreter_must_agree(
    dasan_server: TestServer,
    clips: dict[str, dict[str, EncodedClip]],
    everyone: list[Someone],
) -> None:
    server = dasan_server
    await add_second_interpreter(server)
    citizen, interpreter, case_id = await start_session(server, clips, everyone)
    room_id = citizen.room_id
    for someone in (citizen, interpreter):
        await someone.connect_media()
        assert await answer(someone, True) == {"ok": True}
    told = States(citizen)
    await told.reach("recording")
    await rows_until(server, case_id, lambda r: len(r) == 4, "four files")

    successor, successor_id = await staff(
        server, "interpreter.ksl2", "interpreter2", clips, everyone
    )
    await available(successor)
    ack = await interpreter.io.call(
        "transfer", {"room_id": room_id, "to_staff_id": successor_id}
    )
    assert ack == {"ok": True}
    await accept_next(successor, "transfer")
    assert (await successor.io.next("consent_request"))["room_id"] == room_id
    await told.reach("paused")
    await successor.connect_media()
    assert (await interpreter.io.next("left_room"))["reason"] == "transferred"
    # The first interpreter's files close; nothing resumes without the new one.
    await rows_until(
        server,
        case_id,
        lambda r: all(
            f.status is RecordingStatus.CLOSED
            for f in r
            if f.party_role == "interpreter"
        ),
        "the first interpreter's files closed",
    )
    await until(
        lambda: [p["role"] for p in told.last()["parties"]].count("interpreter") == 1,
        "one interpreter asked",
    )
    assert told.last()["state"] == "paused"

    assert await answer(successor, True) == {"ok": True}
    await told.reach("recording")
    files = await rows_until(
        server,
        case_id,
        lambda r: any(f.party_id == successor_id for f in r),
        "the new interpreter's files",
    )
    assert {f.party_role for f in files if f.party_id == successor_id} == {
        "interpreter"
    }
    assert (await citizen.io.call("hang_up", {"room_id": room_id}))["ok"]
    await rows_until(
        server,
        case_id,
        lambda r: all(f.status is RecordingStatus.CLOSED for f in r),
        "every file closed at the end",
    )
    case = await runtime(server).cases.get(case_id)
    assert case is not None
    steps = [
        (e.kind, e.staff_id)
        for e in case.events
        if e.kind.value.startswith(("consent_", "recording_"))
    ]
    assert steps[-4:] == [
        (EventKind.RECORDING_PAUSED, None),
        (EventKind.CONSENT_GIVEN, successor_id),
        (EventKind.RECORDING_RESUMED, None),
        (EventKind.RECORDING_STOPPED, None),
    ]
