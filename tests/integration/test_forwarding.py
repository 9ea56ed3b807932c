"""Encoded frames cross the media server unchanged; late joiners get a keyframe.

Real aiortc peers (``benchmarks.media_relay.EncodedPeer``) publish pre-encoded
clips through ``MediaServer`` and take what they receive off their receivers
before any decoding, so the test compares the very bytes the encoder made.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import pytest
from aiortc.mediastreams import MediaStreamError

from benchmarks.media_relay import (
    Capture,
    EncodedClip,
    EncodedPeer,
    encode_audio,
    encode_video,
)
from rtc_server.frames import EncodedFrame
from rtc_server.server import MediaServer

DEADLINE = 20.0
KEYFRAME_DEADLINE = 1.0  # the functional requirement for a late subscriber


@pytest.fixture(scope="module")
def clips() -> dict[str, EncodedClip]:
    """Small clips, encoded once; the video ones are 4 s, one keyframe each."""
    return {
        "citizen": encode_video(4, 320, 240, seed=1),
        "interpreter": encode_video(4, 320, 240, seed=2),
        "h264": encode_video(2, 320, 240, seed=3, codec="video/h264"),
        "audio": encode_audio(2, hz=440),
    }


@pytest.fixture
async def media() -> AsyncIterator[MediaServer]:
    server = MediaServer()
    yield server
    await server.close()


@pytest.fixture
async def peers() -> AsyncIterator[list[EncodedPeer]]:
    """Peers the test makes; all closed at the end."""
    made: list[EncodedPeer] = []
    yield made
    await asyncio.gather(*(p.close() for p in made), return_exceptions=True)


async def join(media: MediaServer, room: str, party: str, peer: EncodedPeer) -> None:
    await peer.join(lambda sdp: media.connect(room, party, sdp))


async def until(condition: Callable[[], bool], what: str, deadline: float) -> float:
    """Wait for ``condition``; returns the seconds it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > deadline:
            raise AssertionError(f"{what}: not within {deadline} s")
        await asyncio.sleep(0.01)
    return time.monotonic() - start


def only(captures: dict[str, Capture]) -> Capture:
    (capture,) = captures.values()
    return capture


def kept(capture: Capture) -> list[EncodedFrame]:
    assert capture.kept is not None
    return capture.kept


def sent_frames(peer: EncodedPeer, clip: EncodedClip, kind: str) -> list[bytes]:
    log = peer.tracks[kind].log
    assert log is not None
    return [clip.frames[i] for i in log]


def assert_contiguous_run(received: Sequence[bytes], sent: Sequence[bytes]) -> None:
    """``received`` is exactly a stretch of what was sent, nothing changed."""
    assert received, "nothing received"
    starts = [i for i, data in enumerate(sent) if data == received[0]]
    assert starts, "the first frame received was never sent"
    assert any(list(sent[i : i + len(received)]) == list(received) for i in starts), (
        "the frames received differ from the frames sent"
    )


def assert_one_stream(frames: Sequence[EncodedFrame], step: int) -> None:
    """Sequence numbers follow on, timestamps keep the sender's spacing."""
    for before, after in itertools.pairwise(frames):
        assert after.first_seq == (before.last_seq + 1) & 0xFFFF
        assert after.timestamp - before.timestamp == step


async def test_video_and_audio_frames_arrive_bit_exact(
    media: MediaServer, peers: list[EncodedPeer], clips: dict[str, EncodedClip]
) -> None:
    media.open_room("room", ("citizen", "interpreter"))
    citizen = EncodedPeer(clips["citizen"], clips["audio"], slots=1, keep=True)
    interpreter = EncodedPeer(clips["interpreter"], clips["audio"], slots=1, keep=True)
    peers += [citizen, interpreter]
    await join(media, "room", "citizen", citizen)
    await join(media, "room", "interpreter", interpreter)

    video, audio = only(citizen.captures("video")), only(citizen.captures("audio"))
    await until(lambda: video.frames >= 60 and audio.frames >= 100, "media", DEADLINE)
    frames = kept(video)[:60]
    assert frames[0].keyframe
    assert_contiguous_run(
        [f.data for f in frames],
        sent_frames(interpreter, clips["interpreter"], "video"),
    )
    assert_one_stream(frames, clips["interpreter"].step)
    assert_contiguous_run(
        [f.data for f in kept(audio)[:100]],
        sent_frames(interpreter, clips["audio"], "audio"),
    )
    # And the other way round.
    back = only(interpreter.captures("video"))
    await until(lambda: back.frames >= 30, "video to the interpreter", DEADLINE)
    assert_contiguous_run(
        [f.data for f in kept(back)[:30]],
        sent_frames(citizen, clips["citizen"], "video"),
    )


def nal_units(data: bytes) -> list[bytes]:
    """An H.264 access unit's NAL units, whatever start codes separate them."""
    return [u for u in re.split(b"\x00\x00\x00\x01|\x00\x00\x01", data) if u]


async def test_h264_is_forwarded_unchanged_when_the_parties_offer_only_h264(
    media: MediaServer, peers: list[EncodedPeer], clips: dict[str, EncodedClip]
) -> None:
    media.open_room("room", ("citizen", "interpreter"))
    clip = clips["h264"]
    citizen = EncodedPeer(None, None, slots=1, keep=True, video_codec="video/h264")
    interpreter = EncodedPeer(clip, None, slots=1, keep=True, video_codec="video/h264")
    peers += [citizen, interpreter]
    await join(media, "room", "citizen", citizen)
    await join(media, "room", "interpreter", interpreter)

    video = only(citizen.captures("video"))
    await until(lambda: video.frames >= 40, "H.264 video", DEADLINE)
    received = [nal_units(f.data) for f in kept(video)[:40]]
    sent = [nal_units(f) for f in sent_frames(interpreter, clip, "video")]
    assert any(sent[i : i + 40] == received for i in range(len(sent)))
    assert kept(video)[0].keyframe


async def test_a_late_subscriber_gets_a_keyframe_within_a_second(
    media: MediaServer, peers: list[EncodedPeer], clips: dict[str, EncodedClip]
) -> None:
    media.open_room("room", ("citizen", "interpreter"))
    citizen = EncodedPeer(clips["citizen"], clips["audio"], slots=1)
    interpreter = EncodedPeer(clips["interpreter"], clips["audio"], slots=1)
    peers += [citizen, interpreter]
    await join(media, "room", "citizen", citizen)
    await join(media, "room", "interpreter", interpreter)
    video = only(citizen.captures("video"))
    publishing = interpreter.tracks["video"]
    # A second into the clip: its own keyframe is 3 s away.
    await until(lambda: publishing.sent >= 30 and video.frames > 0, "call", DEADLINE)
    asked_before = publishing.keyframes_requested

    # A supervisor joins the session late and watches both.
    media.add_party("room", "supervisor", publishes=False)
    supervisor = EncodedPeer(None, None, slots=2, keep=True)
    peers.append(supervisor)
    await join(media, "room", "supervisor", supervisor)
    await until(
        lambda: supervisor.pc.connectionState == "connected", "connected", DEADLINE
    )
    slots = supervisor.captures("video")
    await until(
        lambda: all(any(f.keyframe for f in kept(c)) for c in slots.values()),
        "a keyframe from each publisher after subscribing",
        KEYFRAME_DEADLINE,
    )
    for capture in slots.values():
        assert kept(capture)[0].keyframe  # nothing undecodable before it
    assert publishing.keyframes_requested > asked_before  # asked for, not waited for


async def test_a_subscribers_picture_loss_asks_the_publisher_for_a_keyframe(
    media: MediaServer, peers: list[EncodedPeer], clips: dict[str, EncodedClip]
) -> None:
    media.open_room("room", ("citizen", "interpreter"))
    citizen = EncodedPeer(clips["citizen"], None, slots=1, keep=True)
    interpreter = EncodedPeer(clips["interpreter"], None, slots=1)
    peers += [citizen, interpreter]
    await join(media, "room", "citizen", citizen)
    await join(media, "room", "interpreter", interpreter)
    video = only(citizen.captures("video"))
    publishing = interpreter.tracks["video"]
    await until(lambda: video.frames >= 20, "video", DEADLINE)
    asked, received = publishing.keyframes_requested, video.frames

    video.request_keyframe()  # PLI from the citizen, as Chrome sends on loss

    await until(lambda: publishing.keyframes_requested > asked, "PLI", DEADLINE)
    await until(
        lambda: any(f.keyframe for f in kept(video)[received:]), "keyframe", DEADLINE
    )


async def test_a_tap_gives_a_publishers_encoded_frames_to_a_recorder(
    media: MediaServer, peers: list[EncodedPeer], clips: dict[str, EncodedClip]
) -> None:
    media.open_room("room", ("citizen", "interpreter"))
    clip = clips["interpreter"]
    interpreter = EncodedPeer(clip, clips["audio"], slots=1, keep=True)
    peers.append(interpreter)
    await join(media, "room", "interpreter", interpreter)
    tap = media.tap("room", "interpreter", "video")

    packets: list[Any] = []
    for _ in range(20):
        packets.append(await asyncio.wait_for(tap.recv(), DEADLINE))
    assert packets[0].is_keyframe
    assert [p.pts for p in packets] == [i * clip.step for i in range(20)]
    assert {p.time_base.denominator for p in packets} == {90000}
    assert_contiguous_run(
        [bytes(p) for p in packets], sent_frames(interpreter, clip, "video")
    )
    tap.stop()
    with pytest.raises(MediaStreamError):
        await tap.recv()


async def test_the_server_reports_the_frame_rate_each_subscriber_gets(
    media: MediaServer, peers: list[EncodedPeer], clips: dict[str, EncodedClip]
) -> None:
    media.open_room("room", ("citizen", "interpreter"))
    citizen = EncodedPeer(clips["citizen"], clips["audio"], slots=1)
    interpreter = EncodedPeer(clips["interpreter"], clips["audio"], slots=1)
    peers += [citizen, interpreter]
    await join(media, "room", "citizen", citizen)
    await join(media, "room", "interpreter", interpreter)
    to_citizen = only(citizen.captures("video"))
    await until(lambda: to_citizen.frames >= 30, "video", DEADLINE)

    stats = media.stats("room")
    assert set(stats) == {"citizen", "interpreter"}
    delivered = stats["citizen"]["interpreter"]
    assert set(stats["interpreter"]) == {"citizen"}
    assert delivered.frames > 0 and delivered.fps > 0
    assert len(delivered.added_latency_ms) > 0
    assert all(ms >= 0 for ms in delivered.added_latency_ms)
    assert media.stats("room", "audio")["citizen"]["interpreter"].frames > 0


async def test_a_publishers_video_can_be_decoded_for_the_quality_checks(
    media: MediaServer, peers: list[EncodedPeer], clips: dict[str, EncodedClip]
) -> None:
    media.open_room("room", ("citizen", "interpreter"))
    citizen = EncodedPeer(clips["citizen"], clips["audio"], slots=1)
    peers.append(citizen)
    await join(media, "room", "citizen", citizen)
    pictures = media.decoded_video("room", "citizen")

    first = await asyncio.wait_for(pictures.recv(), DEADLINE)
    assert (first.width, first.height) == (320, 240)
    await until(lambda: pictures.decoded >= 30, "30 decoded pictures", DEADLINE)
    later = await asyncio.wait_for(pictures.recv(), DEADLINE)
    assert later.pts is not None and first.pts is not None and later.pts > first.pts
    pictures.stop()
    decoded = pictures.decoded
    with pytest.raises(MediaStreamError):
        await pictures.recv()
    await until(lambda: citizen.tracks["video"].sent > 60, "more video", DEADLINE)
    assert pictures.decoded == decoded  # decoding stopped with the track


def lose_one_packet(receiver: Any, capture: Capture) -> list[int]:
    """The network loses one video packet on its way to this receiver.

    Test-only: it wraps aiortc's receiver entry point, ahead of its NACK
    generator, so the receiver notices the gap and asks for the packet again.
    """
    handle = receiver._handle_rtp_packet
    lost: list[int] = []

    async def lossy(packet: Any, arrival_time_ms: int) -> None:
        mid_frame = capture.frames >= 10 and not packet.marker
        if not lost and mid_frame and packet.ssrc == capture.ssrc:
            lost.append(packet.sequence_number)
            return
        await handle(packet, arrival_time_ms)

    receiver._handle_rtp_packet = lossy
    return lost


async def test_a_lost_packet_is_resent_from_the_servers_history(
    media: MediaServer, peers: list[EncodedPeer], clips: dict[str, EncodedClip]
) -> None:
    media.open_room("room", ("citizen", "interpreter"))
    citizen = EncodedPeer(None, None, slots=1, keep=True)
    interpreter = EncodedPeer(clips["interpreter"], None, slots=1)
    peers += [citizen, interpreter]
    await join(media, "room", "citizen", citizen)
    (transceiver,) = [t for t in citizen.pc.getTransceivers() if t.kind == "video"]
    video = only(citizen.captures("video"))
    lost = lose_one_packet(transceiver.receiver, video)
    await join(media, "room", "interpreter", interpreter)
    await until(lambda: bool(lost) and video.frames >= 40, "a loss", DEADLINE)
    asked = interpreter.tracks["video"].keyframes_requested

    frames = kept(video)
    (repaired,) = [f for f in frames if f.first_seq <= lost[0] <= f.last_seq]
    assert not repaired.keyframe
    assert_one_stream(frames[frames.index(repaired) - 1 :], clips["interpreter"].step)
    # Repaired by the server's retransmission; the publisher was not asked.
    assert interpreter.tracks["video"].keyframes_requested == asked
