"""Parties in media rooms through a real server: each a socket.io client with an
aiortc peer sending its own clip, the rosters it was sent; the steps to a session."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from benchmarks.media_relay import EncodedClip, EncodedPeer
from benchmarks.media_relay import encode_audio as audio_clip
from benchmarks.media_relay import encode_video as video_clip
from counseling.services import Language, Service, Skill
from counseling.staff import StaffAccount, StaffRole
from interpreter_pool.pool import new_id
from signaling.auth import Passwords
from storage.sql import SqlStaffDirectory
from tests.integration import peers
from tests.integration.conftest import DEMO_PASSWORD, base_url, login, runtime

DEADLINE = 30.0
SLOTS = 4
BOTH = ("audio", "video")


@pytest.fixture(scope="module")
def clips() -> dict[str, dict[str, EncodedClip]]:
    """A different picture and tone for each publisher."""
    names = ("citizen", "interpreter", "counselor", "guest", "interpreter2", "boss")
    return {
        name: {
            "video": video_clip(2, 160, 120, seed=20 + i),
            "audio": audio_clip(1, hz=300 + 90 * i),
        }
        for i, name in enumerate(names)
    }


@dataclass
class Someone:
    """A socket.io party, its aiortc peer, and the rosters it was sent."""

    name: str
    io: peers.Party
    clip: dict[str, EncodedClip]
    peer: EncodedPeer | None = None
    room_id: str = ""
    rosters: list[dict[str, Any]] = field(default_factory=list)

    def roster(self) -> dict[str, Any]:
        queue = self.io.queue("roster")
        while not queue.empty():
            self.rosters.append(queue.get_nowait())
        return self.rosters[-1] if self.rosters else {"parties": []}

    async def connect_media(self, video: bool = True) -> None:
        self.peer = EncodedPeer(
            self.clip["video"] if video else None,
            self.clip["audio"],
            slots=SLOTS,
            keep=True,
        )

        async def offer(sdp: str) -> str:
            ack = await self.io.call(
                "rtc_offer", {"room_id": self.room_id, "type": "offer", "sdp": sdp}
            )
            assert ack["ok"], ack
            return str(ack["sdp"])

        await self.peer.join(offer)

    def seen(self, publisher: Someone, kind: str) -> int:
        """Frames of ``publisher``'s clip in the slot my roster gives them."""
        assert self.peer is not None
        mids = [
            p["media"][kind]
            for p in self.roster()["parties"]
            if p["label"] == publisher.label and p["media"][kind]
        ]
        if not mids:
            return 0
        capture = self.peer.captures(kind).get(mids[0])
        if capture is None or capture.kept is None:
            return 0
        own = set(publisher.clip[kind].frames)
        return sum(f.data in own for f in capture.kept)

    label: str = ""


async def until(check: Any, what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out: {what}")
        await asyncio.sleep(0.05)


async def receiving(
    viewer: Someone,
    publishers: dict[str, tuple[Someone, tuple[str, ...]]],
    baseline: dict[tuple[str, str], int] | None = None,
) -> dict[tuple[str, str], int]:
    """Wait until ``viewer`` has 10 more frames of each publisher's kinds (in
    the slots its roster names) than ``baseline``; returns the counts."""
    baseline = baseline or {}
    counts: dict[tuple[str, str], int] = {}
    for name, (publisher, kinds) in publishers.items():
        for kind in kinds:
            need = baseline.get((name, kind), 0) + 10
            await until(
                lambda p=publisher, k=kind, n=need: viewer.seen(p, k) >= n,
                f"{viewer.name} gets {kind} of {name}",
            )
            counts[(name, kind)] = viewer.seen(publisher, kind)
    return counts


@pytest.fixture
async def everyone() -> AsyncIterator[list[Someone]]:
    made: list[Someone] = []
    yield made
    for someone in made:
        if someone.peer is not None:
            await someone.peer.close()
        if someone.io.sio.connected:
            await someone.io.sio.disconnect()


async def add_second_interpreter(server: TestServer) -> None:
    await SqlStaffDirectory(runtime(server).database).add(
        StaffAccount(
            new_id(),
            "interpreter.ksl2",
            "Second KSL interpreter",
            StaffRole.INTERPRETER,
            frozenset({Skill(Service.SIGN_LANGUAGE, Language.KSL)}),
            Passwords().hash(DEMO_PASSWORD),
        )
    )


async def staff(
    server: TestServer,
    username: str,
    name: str,
    clips: dict[str, dict[str, EncodedClip]],
    made: list[Someone],
) -> tuple[Someone, str]:
    profile, token = await login(server, username)
    io = peers.Party("/staff")
    await io.connect(base_url(server), {"Cookie": f"dasan_session={token}"})
    someone = Someone(name, io, clips.get(name, clips["boss"]))
    someone.label = str(profile["display_name"])
    made.append(someone)
    return someone, str(profile["id"])


async def available(someone: Someone) -> None:
    ack = await someone.io.call("set_presence", {"status": "available"})
    assert ack["ok"], ack


async def accept_next(someone: Someone, purpose: str) -> dict[str, Any]:
    offer = await someone.io.next("offer")
    assert offer["purpose"] == purpose, offer
    ack = await someone.io.call("accept_offer", {"offer_id": offer["offer_id"]})
    assert ack["ok"], ack
    started: dict[str, Any] = await someone.io.next("session_started")
    someone.room_id = started["room_id"]
    return started


async def start_session(
    server: TestServer,
    clips: dict[str, dict[str, EncodedClip]],
    made: list[Someone],
) -> tuple[Someone, Someone, str]:
    """A sign-language session: the citizen and interpreter.ksl."""
    interpreter, _ = await staff(server, "interpreter.ksl", "interpreter", clips, made)
    await available(interpreter)
    citizen = Someone("citizen", peers.Party("/citizen"), clips["citizen"])
    citizen.label = "Citizen"
    made.append(citizen)
    await citizen.io.connect(base_url(server))
    ack = await citizen.io.call("request", {"service": "sign_language"})
    assert ack["ok"], ack
    await accept_next(interpreter, "session")
    citizen.room_id = (await citizen.io.next("session_started"))["room_id"]
    return citizen, interpreter, str(ack["case_id"])


async def guest_with_invite(
    server: TestServer,
    inviter: Someone,
    clips: dict[str, dict[str, EncodedClip]],
    made: list[Someone],
    name: str = "guest",
) -> tuple[Someone, str]:
    ack = await inviter.io.call("create_invite", {"room_id": inviter.room_id})
    assert ack["ok"], ack
    assert ack["url"] == f"/guest?invite={ack['invite']}"
    guest = Someone(name, peers.Party("/guest"), clips["guest"])
    guest.label = "Guest"
    made.append(guest)
    await guest.io.connect(base_url(server))
    return guest, str(ack["invite"])


def entry(viewer: Someone, label: str) -> dict[str, Any] | None:
    """``viewer``'s latest roster entry for the party labelled ``label``."""
    return next((p for p in viewer.roster()["parties"] if p["label"] == label), None)


async def console(
    server: TestServer, token: str, name: str, clip: dict[str, EncodedClip]
) -> Someone:
    """A staff console page signed in with ``token`` (the session cookie)."""
    io = peers.Party("/staff")
    await io.connect(base_url(server), {"Cookie": f"dasan_session={token}"})
    return Someone(name, io, clip)
