"""Recording a room with real aiortc peers: one sealed file per track, the very
packets the publishers sent, paused, resumed and stopped."""

from __future__ import annotations

import asyncio
import functools
import itertools
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from benchmarks.media_relay import EncodedClip, EncodedPeer, encode_audio, encode_video
from recording.errors import RecordingRefused
from recording.keys import RecordingKey
from recording.recorder import RecordedFile, RoomRecorder
from rtc_server.server import MediaServer
from tests.recordings import ARRIVAL_JITTER, play

DEADLINE = 20.0
KEY = RecordingKey(b"k" * 32)
PARTIES = ("citizen", "interpreter")


@pytest.fixture(scope="module")
def clips() -> dict[str, EncodedClip]:
    return {
        "citizen": encode_video(4, 320, 240, seed=1),
        "interpreter": encode_video(4, 320, 240, seed=2),
        "audio": encode_audio(2, hz=440),
    }


@pytest.fixture
async def media() -> AsyncIterator[MediaServer]:
    server = MediaServer()
    yield server
    await server.close()


@pytest.fixture
async def room(
    media: MediaServer, clips: dict[str, EncodedClip]
) -> AsyncIterator[dict[str, EncodedPeer]]:
    """A two-party call: both publish looped VP8 and Opus, each sees the other."""
    media.open_room("room", PARTIES)
    peers = {
        p: EncodedPeer(clips[p], clips["audio"], slots=1, keep=True) for p in PARTIES
    }
    for party, peer in peers.items():
        await peer.join(functools.partial(media.connect, "room", party))
    yield peers
    await asyncio.gather(*(p.close() for p in peers.values()), return_exceptions=True)


async def until(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not within {DEADLINE} s")
        await asyncio.sleep(0.02)


def sent(peer: EncodedPeer, clip: EncodedClip, kind: str) -> list[bytes]:
    log = peer.tracks[kind].log
    assert log is not None
    return [clip.frames[i] for i in log]


def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def is_run_of(received: list[bytes], frames: list[bytes]) -> bool:
    """``received`` is exactly a stretch of ``frames``, nothing changed."""
    return any(
        frames[i : i + len(received)] == received
        for i, data in enumerate(frames)
        if data == received[0]
    )


async def test_each_track_is_recorded_bit_exact_in_its_own_file(
    media: MediaServer,
    room: dict[str, EncodedPeer],
    clips: dict[str, EncodedClip],
    tmp_path: Path,
) -> None:
    heard: list[RecordedFile] = []

    async def on_file(file: RecordedFile) -> None:
        heard.append(file)

    recorder = RoomRecorder(media, "room", KEY, tmp_path, on_file)
    recorder.start(PARTIES)
    await until(lambda: len(heard) == 4, "four files started")
    video = room["interpreter"].tracks["video"]
    at_start = video.sent
    await until(lambda: video.sent >= at_start + 60, "two seconds of video")
    files = await recorder.stop()

    assert {(f.party_id, f.kind) for f in files} == {
        (p, k) for p in PARTIES for k in ("audio", "video")
    }
    assert [f.status for f in heard[:4]] == ["recording"] * 4
    assert sorted(heard[4:], key=lambda f: f.path) == sorted(
        files, key=lambda f: f.path
    )
    assert len({f.recording_id for f in files}) == 4
    for file in files:
        assert file.status == "closed" and file.ended_at is not None
        assert file.codec == {"audio": "opus", "video": "vp8"}[file.kind]
        path = tmp_path / file.path
        assert path.stat().st_size == file.bytes
        played = play(path, KEY)
        recorded_for = (file.ended_at - file.started_at).total_seconds()
        clip = clips[file.party_id] if file.kind == "video" else clips["audio"]
        frames = [data for data, _, _ in played.packets]
        # Bit-exact: a stretch of what this party's encoder sent, unchanged.
        assert is_run_of(frames, sent(room[file.party_id], clip, file.kind))
        assert played.decoded == len(frames)
        assert played.last_decoded is not None
        # Roughly the whole time it was recorded, at the clip's frame rate.
        assert recorded_for - 1.0 < played.last_decoded <= recorded_for + ARRIVAL_JITTER
        expected = played.last_decoded / clip.interval
        assert expected * 0.8 <= len(frames) <= expected + 2
        if file.kind == "video":
            assert played.packets[0][2]  # starts at a keyframe
            assert played.codec == "vp8"


async def test_a_pause_writes_nothing_and_video_resumes_at_a_keyframe(
    media: MediaServer, room: dict[str, EncodedPeer], tmp_path: Path
) -> None:
    recorder = RoomRecorder(media, "room", KEY, tmp_path)
    recorder.start(["interpreter"])
    video = room["interpreter"].tracks["video"]
    await until(lambda: video.sent > 45 and bool(recorder.parties), "recording")
    start = video.sent
    await until(lambda: video.sent >= start + 20, "some video")
    recorder.pause()
    paused_at = video.sent
    asked = video.keyframes_requested
    await until(lambda: video.sent >= paused_at + 30, "a second of pause")
    recorder.resume()
    await until(lambda: video.keyframes_requested > asked, "a keyframe asked for")
    resumed = video.sent
    await until(lambda: video.sent >= resumed + 20, "video after the pause")
    files = await recorder.stop()

    (video_file,) = [f for f in files if f.kind == "video"]
    played = play(tmp_path / video_file.path, KEY)
    times = [t for _, t, _ in played.packets]
    gaps = [(b - a, i + 1) for i, (a, b) in enumerate(itertools.pairwise(times))]
    gap, after = max(gaps)
    assert gap > 0.7  # about a second of pause, nothing written in it
    assert played.packets[after][2]  # the first frame after it is a keyframe
    assert played.decoded == len(played.packets)
    assert sum(1 for g, _ in gaps if g > 0.2) == 1


async def test_nothing_is_written_after_stop(
    media: MediaServer, room: dict[str, EncodedPeer], tmp_path: Path
) -> None:
    def sent() -> dict[tuple[str, str], int]:
        return {
            (party, kind): peer.tracks[kind].sent
            for party, peer in room.items()
            for kind in ("audio", "video")
        }

    recorder = RoomRecorder(media, "room", KEY, tmp_path)
    before = sent()
    recorder.start(PARTIES)
    await until(lambda: len(recorder.parties) == 2, "recording")
    video = room["citizen"].tracks["video"]
    start = video.sent
    await until(lambda: video.sent >= start + 30, "a second of video")
    files = await recorder.stop()
    at_stop = sent()
    await until(lambda: video.sent >= start + 45, "the call goes on")
    for file in files:
        played = play(tmp_path / file.path, KEY)
        assert played.decoded > 0
        # No more frames than were sent while it recorded, and not a byte since.
        key = (file.party_id, file.kind)
        assert played.decoded <= at_stop[key] - before[key], key
        assert (tmp_path / file.path).stat().st_size == file.bytes


async def test_a_party_leaving_closes_their_files(
    media: MediaServer, room: dict[str, EncodedPeer], tmp_path: Path
) -> None:
    heard: list[RecordedFile] = []

    async def on_file(file: RecordedFile) -> None:
        heard.append(file)

    recorder = RoomRecorder(media, "room", KEY, tmp_path, on_file)
    recorder.start(PARTIES)
    await until(lambda: len(heard) == 4, "recording")
    await media.remove_party("room", "citizen")
    await until(lambda: len(heard) == 6, "the citizen's files closed")
    assert {(f.party_id, f.status) for f in heard[4:]} == {("citizen", "closed")}
    rest = await recorder.stop()
    assert {f.party_id for f in rest} == {"citizen", "interpreter"}
    for file in heard[4:]:
        assert play(tmp_path / file.path, KEY).decoded > 0


async def test_without_a_key_nothing_is_recorded(
    media: MediaServer, tmp_path: Path
) -> None:
    media.open_room("quiet", PARTIES)
    with pytest.raises(RecordingRefused, match="DASAN_RECORDING_KEY"):
        RoomRecorder(media, "quiet", None, tmp_path)
    assert files_in(tmp_path) == []


async def test_h264_is_recorded_into_matroska_unchanged(
    media: MediaServer, tmp_path: Path
) -> None:
    clip = encode_video(2, 320, 240, seed=3, codec="video/h264")
    media.open_room("h264", PARTIES)
    viewer = EncodedPeer(None, None, slots=1, video_codec="video/h264")
    sender = EncodedPeer(clip, None, slots=1, keep=True, video_codec="video/h264")
    try:
        await viewer.join(functools.partial(media.connect, "h264", "citizen"))
        await sender.join(functools.partial(media.connect, "h264", "interpreter"))
        recorder = RoomRecorder(media, "h264", KEY, tmp_path)
        recorder.start(["interpreter"])
        video = sender.tracks["video"]
        await until(lambda: bool(recorder.parties) and video.sent > 20, "the call")
        start = video.sent
        await until(lambda: video.sent >= start + 40, "H.264 video")
        files = await recorder.stop()
    finally:
        await asyncio.gather(viewer.close(), sender.close(), return_exceptions=True)

    (file,) = [f for f in files if f.kind == "video"]
    assert file.codec == "h264" and file.path.endswith(".mkv.sealed")
    played = play(tmp_path / file.path, KEY)
    assert played.codec == "h264" and played.packets[0][2]
    assert played.decoded >= 30
    # Matroska stores NAL units length-prefixed: compare the units themselves.
    received = [nal_units_of_mkv(data) for data, _, _ in played.packets]
    sent_units = [nal_units(f) for f in sent(sender, clip, "video")]
    assert any(
        sent_units[i : i + len(received)] == received for i in range(len(sent_units))
    )


def nal_units(data: bytes) -> list[bytes]:
    return [u for u in re.split(b"\x00\x00\x00\x01|\x00\x00\x01", data) if u]


def nal_units_of_mkv(data: bytes) -> list[bytes]:
    units, at = [], 0
    while at + 4 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        units.append(data[at + 4 : at + 4 + size])
        at += 4 + size
    return units
