"""A real recorded session for the playback tests: two aiortc peers publish VP8
and Opus through the media server and ``RoomRecorder`` writes their sealed files;
``store_session`` files them as a case's recordings."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.media_relay import EncodedPeer, encode_audio, encode_video
from recording.keys import RecordingKey
from recording.recorder import RecordedFile, RoomRecorder
from rtc_server.server import MediaServer
from storage.recordings import Recording, RecordingStatus, SqlRecordings

DEADLINE_S = 30.0
# Each party's picture size: the citizen's phone is upright, the interpreter's wide.
SIZES = {"citizen": (240, 320), "interpreter": (320, 240)}


async def _until(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not within {DEADLINE_S} s")
        await asyncio.sleep(0.02)


async def record_session(
    root: Path, key: RecordingKey, seconds: float = 3.0
) -> list[RecordedFile]:
    """Record a call of ``seconds`` between a citizen and an interpreter into
    ``root``; returns the four closed files (audio and video of each)."""
    parties = tuple(SIZES)
    media = MediaServer()
    media.open_room("room", parties)
    audio = encode_audio(2, hz=440)
    peers = {
        party: EncodedPeer(
            encode_video(2, *SIZES[party], seed=index + 1), audio, slots=1, keep=True
        )
        for index, party in enumerate(parties)
    }
    try:
        for party, peer in peers.items():
            await peer.join(functools.partial(media.connect, "room", party))
        recorder = RoomRecorder(media, "room", key, root)
        recorder.start(parties)
        await _until(lambda: len(recorder.parties) == 2, "recording both parties")
        video = peers["interpreter"].tracks["video"]
        start = video.sent
        await _until(lambda: video.sent >= start + seconds * 30, "the call")
        files = await recorder.stop()
    finally:
        await asyncio.gather(
            *(p.close() for p in peers.values()), return_exceptions=True
        )
        await media.close()
    assert len(files) == 4, files
    return files


def as_recording(case_id: str, file: RecordedFile) -> Recording:
    """A closed file as the row the app keeps (the party id names the role)."""
    return Recording(
        file.recording_id,
        case_id,
        file.party_id,
        file.party_id,
        file.kind,
        file.codec,
        file.path,
        file.started_at,
        file.ended_at,
        RecordingStatus.CLOSED,
        file.bytes,
    )


async def store_session(
    recordings: SqlRecordings, case_id: str, files: list[RecordedFile]
) -> list[Recording]:
    rows = [as_recording(case_id, f) for f in files]
    for row in rows:
        await recordings.add(row)
    return rows
