"""Rooms of up to five parties: slots, joining and leaving, a warm transfer.

Every party is a real aiortc peer that offers its own audio and video plus
recvonly slots once, and is never sent an offer back. Each publisher's clip is
different, so the bytes arriving in a slot say whose media it carries.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Mapping

import pytest

from benchmarks.media_relay import Capture, EncodedClip, EncodedPeer
from benchmarks.media_relay import encode_audio as audio_clip
from benchmarks.media_relay import encode_video as video_clip
from rtc_server.errors import (
    AlreadyInRoom,
    NegotiationFailed,
    NotAParticipant,
    RoomFull,
    UnknownRoom,
)
from rtc_server.server import MediaServer

DEADLINE = 20.0
SLOTS = 4  # per kind, as the clients offer them
PUBLISHERS = ("citizen", "interpreter", "counselor", "interpreter-2")


@pytest.fixture(scope="module")
def clips() -> dict[str, dict[str, EncodedClip]]:
    """A different picture and tone for each publisher."""
    return {
        party: {
            "video": video_clip(2, 160, 120, seed=10 + i),
            "audio": audio_clip(1, hz=300 + 100 * i),
        }
        for i, party in enumerate((*PUBLISHERS, "guest"))
    }


@pytest.fixture
async def media() -> AsyncIterator[MediaServer]:
    server = MediaServer()
    yield server
    await server.close()


@pytest.fixture
async def peers() -> AsyncIterator[dict[str, EncodedPeer]]:
    made: dict[str, EncodedPeer] = {}
    yield made
    await asyncio.gather(*(p.close() for p in made.values()), return_exceptions=True)


class Room:
    """One room on the media server and the test's peers in it."""

    def __init__(
        self,
        media: MediaServer,
        peers: dict[str, EncodedPeer],
        clips: dict[str, dict[str, EncodedClip]],
    ) -> None:
        self.media = media
        self.peers = peers
        self.clips = clips

    async def join(self, party: str, video: bool = True, audio: bool = True) -> None:
        clip = self.clips.get(party, {})
        peer = EncodedPeer(
            clip.get("video") if video else None,
            clip.get("audio") if audio else None,
            slots=SLOTS,
            keep=True,
        )
        self.peers[party] = peer
        await peer.join(lambda sdp: self.media.connect("room", party, sdp))

    def slot(self, viewer: str, publisher: str, kind: str) -> Capture:
        """What ``viewer`` receives in the slot the roster gives ``publisher``."""
        mid = self.media.roster("room")[viewer][publisher][kind]
        return self.peers[viewer].captures(kind)[mid]

    def carries(self, capture: Capture, publisher: str, kind: str) -> int:
        """How many frames in ``capture`` are ``publisher``'s, byte for byte."""
        assert capture.kept is not None
        own = set(self.clips[publisher][kind].frames)
        return sum(f.data in own for f in capture.kept)

    async def receiving(
        self,
        viewer: str,
        publishers: dict[str, tuple[str, ...]],
        baseline: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        """Wait until ``viewer`` gets 10 more frames of each publisher's kinds
        than ``baseline`` counts, in the slots the roster names."""
        baseline = baseline or {}
        deadline = time.monotonic() + DEADLINE
        for publisher, kinds in publishers.items():
            for kind in kinds:
                while True:
                    roster = self.media.roster("room")[viewer]
                    if publisher in roster and kind in roster[publisher]:
                        capture = self.slot(viewer, publisher, kind)
                        seen = self.carries(capture, publisher, kind)
                        if seen >= baseline.get((publisher, kind), 0) + 10:
                            break
                    if time.monotonic() > deadline:
                        raise AssertionError(f"{viewer} gets no {kind} of {publisher}")
                    await asyncio.sleep(0.05)


BOTH = ("audio", "video")


async def until_connected(peer: EncodedPeer) -> None:
    deadline = time.monotonic() + DEADLINE
    while peer.pc.connectionState != "connected":
        assert time.monotonic() < deadline, peer.pc.connectionState
        await asyncio.sleep(0.05)


async def test_four_parties_each_receive_every_other_publisher(
    media: MediaServer,
    peers: dict[str, EncodedPeer],
    clips: dict[str, dict[str, EncodedClip]],
) -> None:
    media.open_room("room", ("citizen", "interpreter"))
    media.add_party("room", "counselor")
    media.add_party("room", "guest")  # publishes audio only: no camera
    room = Room(media, peers, clips)
    for party in ("citizen", "interpreter", "counselor"):
        await room.join(party)
    await room.join("guest", video=False)

    publishing = {
        "citizen": BOTH,
        "interpreter": BOTH,
        "counselor": BOTH,
        "guest": ("audio",),
    }
    for viewer in publishing:
        others = {p: k for p, k in publishing.items() if p != viewer}
        await room.receiving(viewer, others)
        assert set(media.roster("room")[viewer]) == set(others)
    # Each slot carries exactly one publisher's frames.
    for viewer in publishing:
        for publisher, kinds in media.roster("room")[viewer].items():
            for kind in kinds:
                capture = room.slot(viewer, publisher, kind)
                assert capture.kept is not None
                assert room.carries(capture, publisher, kind) == len(capture.kept)

    # The counselor leaves; nobody else's media stops.
    counts = {
        viewer: {
            (p, k): room.carries(room.slot(viewer, p, k), p, k)
            for p, kinds in media.roster("room")[viewer].items()
            for k in kinds
        }
        for viewer in ("citizen", "interpreter", "guest")
    }
    await media.remove_party("room", "counselor")
    assert media.parties("room") == ("citizen", "interpreter", "guest")
    for viewer, before in counts.items():
        assert "counselor" not in media.roster("room")[viewer]
        staying = {
            p: k for p, k in publishing.items() if p not in (viewer, "counselor")
        }
        await room.receiving(viewer, staying, before)
    for party in ("citizen", "interpreter", "guest"):
        assert peers[party].pc.connectionState == "connected"
        assert media.connection_state("room", party) == "connected"


async def test_a_warm_transfer_keeps_the_citizens_connection_and_tile(
    media: MediaServer,
    peers: dict[str, EncodedPeer],
    clips: dict[str, dict[str, EncodedClip]],
) -> None:
    media.open_room("room", ("citizen", "interpreter"))
    room = Room(media, peers, clips)
    await room.join("citizen")
    await room.join("interpreter")
    await room.receiving("citizen", {"interpreter": BOTH})
    citizen_pc = peers["citizen"].pc
    tile = media.roster("room")["citizen"]["interpreter"]

    # The next interpreter joins while the first is still there...
    media.add_party("room", "interpreter-2")
    await room.join("interpreter-2")
    await room.receiving("citizen", {"interpreter-2": BOTH})
    assert media.roster("room")["citizen"]["interpreter-2"] != tile

    states: list[str] = []
    citizen_pc.on(
        "connectionstatechange", lambda: states.append(citizen_pc.connectionState)
    )
    video = room.slot("citizen", "interpreter", "video")
    before = len(video.kept or ())
    # ...and takes the first one's place: the same slots in the citizen's connection.
    await media.replace_party("room", "interpreter", "interpreter-2")
    assert media.parties("room") == ("citizen", "interpreter-2")
    assert media.roster("room")["citizen"] == {"interpreter-2": tile}
    await room.receiving("citizen", {"interpreter-2": BOTH})
    assert peers["citizen"].pc is citizen_pc
    assert citizen_pc.connectionState == "connected" and states == []
    # In that slot the stream went on: packets numbered on, time moving forward,
    # the new interpreter's pictures starting at a keyframe.
    assert video.kept is not None
    after = video.kept[before - 1 :]
    for a, b in itertools.pairwise(after):
        assert b.first_seq == (a.last_seq + 1) & 0xFFFF
        assert b.timestamp > a.timestamp
    first_new = next(
        f for f in after if f.data in set(clips["interpreter-2"]["video"].frames)
    )
    assert first_new.keyframe
    # The interpreter who left receives nothing more from the room.
    assert media.roster("room").get("interpreter") is None


async def test_a_transfer_to_someone_not_yet_connected(
    media: MediaServer,
    peers: dict[str, EncodedPeer],
    clips: dict[str, dict[str, EncodedClip]],
) -> None:
    media.open_room("room", ("citizen", "interpreter"))
    room = Room(media, peers, clips)
    await room.join("citizen")
    await room.join("interpreter")
    await room.receiving("citizen", {"interpreter": BOTH})
    tile = media.roster("room")["citizen"]["interpreter"]

    await media.replace_party("room", "interpreter", "interpreter-2")
    # The tile is kept for the new interpreter until they connect.
    assert media.roster("room")["citizen"] == {"interpreter-2": tile}
    await room.join("interpreter-2")
    await room.receiving("citizen", {"interpreter-2": BOTH})
    await room.receiving("interpreter-2", {"citizen": BOTH})
    assert media.roster("room")["citizen"] == {"interpreter-2": tile}


async def test_a_supervisor_watches_everyone_and_publishes_nothing(
    media: MediaServer,
    peers: dict[str, EncodedPeer],
    clips: dict[str, dict[str, EncodedClip]],
) -> None:
    media.open_room("room", ("citizen", "interpreter"))
    media.add_party("room", "supervisor", publishes=False)
    # The supervisor's browser has a camera; the server must not take it.
    room = Room(media, peers, {**clips, "supervisor": clips["counselor"]})
    await room.join("citizen")
    await room.join("interpreter")
    await room.join("supervisor")
    await room.receiving("supervisor", {"citizen": BOTH, "interpreter": BOTH})
    for viewer in ("citizen", "interpreter"):
        assert "supervisor" not in media.roster("room")[viewer]
    sent = peers["supervisor"].tracks["video"].sent
    assert sent == 0  # the answer told the supervisor's browser not to send


async def test_a_party_that_reconnects_keeps_its_tiles_with_the_others(
    media: MediaServer,
    peers: dict[str, EncodedPeer],
    clips: dict[str, dict[str, EncodedClip]],
) -> None:
    media.open_room("room", ("citizen", "interpreter"))
    room = Room(media, peers, clips)
    await room.join("citizen")
    await room.join("interpreter")
    await room.receiving("citizen", {"interpreter": BOTH})
    tile = media.roster("room")["citizen"]["interpreter"]
    seen = {
        ("interpreter", k): room.carries(
            room.slot("citizen", "interpreter", k), "interpreter", k
        )
        for k in BOTH
    }

    old = peers["interpreter"]
    await room.join("interpreter")  # a reload: a new peer connection
    await old.close()
    await room.receiving("citizen", {"interpreter": BOTH}, seen)
    assert media.roster("room")["citizen"]["interpreter"] == tile


async def test_limits_and_bad_input_change_nothing(
    media: MediaServer,
    peers: dict[str, EncodedPeer],
    clips: dict[str, dict[str, EncodedClip]],
) -> None:
    media.open_room("room", ("citizen", "interpreter"))
    media.add_party("room", "counselor")
    media.add_party("room", "guest")
    with pytest.raises(RoomFull) as full:
        media.add_party("room", "fifth-publisher")
    assert full.value.code == "room_full"
    media.add_party("room", "supervisor", publishes=False)
    with pytest.raises(RoomFull):
        media.add_party("room", "sixth", publishes=False)
    with pytest.raises(AlreadyInRoom) as again:
        media.add_party("room", "guest")
    assert again.value.code == "already_in_room"
    with pytest.raises(UnknownRoom):
        media.add_party("no-such-room", "x")
    with pytest.raises(NotAParticipant):
        await media.connect("room", "stranger", "v=0\r\n")

    room = Room(media, peers, clips)
    await room.join("citizen")
    await until_connected(peers["citizen"])
    roster = media.roster("room")
    with pytest.raises(NegotiationFailed):
        await media.connect("room", "interpreter", "v=0\r\nm=video 9 RTP/AVP 0\r\n")
    with pytest.raises(NegotiationFailed) as no_codec:
        await media.connect("room", "interpreter", AV1_ONLY)
    assert no_codec.value.code == "media_failed"
    assert media.roster("room") == roster
    assert peers["citizen"].pc.connectionState == "connected"
    assert media.parties("room") == (
        "citizen",
        "interpreter",
        "counselor",
        "guest",
        "supervisor",
    )


AV1_ONLY = "\r\n".join(
    [
        "v=0",
        "o=- 1 1 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "m=video 9 UDP/TLS/RTP/SAVPF 45",
        "a=mid:0",
        "a=sendrecv",
        "a=rtpmap:45 AV1/90000",
        "",
    ]
)
