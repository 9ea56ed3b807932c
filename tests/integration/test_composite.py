"""The combined video of a session, from files recorded from real aiortc peers:
one VP8 picture of the layout's size with the interpreter pinned on the left, one
Opus track with everyone's audio, about as long as the session; made on request
by a background job and then played like any other recording."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest
from av.container import InputContainer

from recording.composite import CompositeStopped, Layout, Track, compose, tiles
from recording.playback import open_recording
from recording.recorder import RecordedFile
from tests.integration.conftest import AppServer
from tests.integration.served_recordings import KEY, close, serve, session

__all__ = ["session"]  # the recorded call, shared with the HTTP tests
DEADLINE_S = 120.0


def tracks(root: Path, files: list[RecordedFile]) -> list[Track]:
    start = min(f.started_at for f in files)
    return [
        Track(
            root / f.path,
            f.kind,
            f.party_id,
            f.party_id,
            (f.started_at - start).total_seconds(),
        )
        for f in files
    ]


def session_seconds(files: list[RecordedFile]) -> float:
    start = min(f.started_at for f in files)
    end = max(f.ended_at for f in files if f.ended_at is not None)
    return (end - start).total_seconds()


def inspect(data: io.BufferedReader | io.BytesIO) -> dict[str, object]:
    """Streams, picture size, last times and a middle picture of a WebM."""
    found: dict[str, object] = {}
    with av.open(data, "r") as container:
        assert isinstance(container, InputContainer)
        found["streams"] = [(s.type, s.codec_context.name) for s in container.streams]
        video_times: list[float | None] = []
        audio_times: list[float | None] = []
        loud = 0.0
        for frame in container.decode(*container.streams):
            if isinstance(frame, av.VideoFrame):
                video_times.append(frame.time)
                found["size"] = (frame.width, frame.height)
                if len(video_times) == 20:
                    found["picture"] = frame.to_ndarray(format="bgr24")
            elif isinstance(frame, av.AudioFrame):
                audio_times.append(frame.time)
                loud = max(loud, float(np.abs(frame.to_ndarray()).max()))
        found["video_end"] = max(t for t in video_times if t is not None)
        found["audio_end"] = max(t for t in audio_times if t is not None)
        found["loudest"] = loud
    return found


def test_tiles_pin_the_first_party_on_the_left() -> None:
    layout = Layout(960, 540)
    assert tiles(layout, 0) == []
    assert tiles(layout, 1) == [(0, 0, 960, 540)]
    assert tiles(layout, 2) == [(0, 0, 640, 540), (640, 0, 320, 540)]
    three = tiles(layout, 3)
    assert three[0] == (0, 0, 640, 540)
    assert three[1:] == [(640, 0, 320, 270), (640, 270, 320, 270)]
    with pytest.raises(ValueError, match="even"):
        Layout(961, 540)


async def test_compose_lays_out_the_parties_and_mixes_the_audio(
    session: tuple[Path, list[RecordedFile]], tmp_path: Path
) -> None:
    root, files = session
    output = tmp_path / "combined.webm.sealed"
    layout = Layout(640, 360)
    made = await asyncio.to_thread(compose, tracks(root, files), KEY, output, layout)
    assert made.size == output.stat().st_size
    assert (made.width, made.height) == (640, 360)
    seconds = session_seconds(files)
    assert abs(made.duration - seconds) < 0.5

    with open_recording(output, KEY) as plain:
        found = inspect(plain)
    assert found["streams"] == [("video", "vp8"), ("audio", "opus")]
    assert found["size"] == (640, 360)
    assert abs(float(str(found["video_end"])) - seconds) < 0.5
    assert abs(float(str(found["audio_end"])) - seconds) < 0.5
    assert float(str(found["loudest"])) > 0.1  # the parties' tone, not silence
    picture = found["picture"]
    assert isinstance(picture, np.ndarray)
    # The interpreter (wide, 320x240) fills the left two thirds' width; the
    # citizen (upright, 240x320) sits in the right third, black beside it.
    left, right = picture[:, :426], picture[:, 426:]
    assert left[60:300, 10:416].mean() > 20
    assert right[:, 5:20].mean() > 20  # the citizen's picture reaches the edge
    assert picture[2:16, 10:416].mean() < 10  # letterbox above the interpreter


async def test_a_stopped_composite_leaves_no_file(
    session: tuple[Path, list[RecordedFile]], tmp_path: Path
) -> None:
    root, files = session
    output = tmp_path / "stopped.webm.sealed"
    stop = threading.Event()
    stop.set()
    with pytest.raises(CompositeStopped):
        await asyncio.to_thread(
            compose, tracks(root, files), KEY, output, Layout(), stop
        )
    assert not output.exists()


async def test_a_combined_video_is_made_on_request_and_plays(
    aiohttp_server: AppServer,
    tmp_path: Path,
    session: tuple[Path, list[RecordedFile]],
) -> None:
    served = await serve(aiohttp_server, tmp_path, session)
    try:
        ksl = served.staff["interpreter.ksl"]
        case_id = served.case.id
        job = await ksl.json("POST", f"/api/cases/{case_id}/composite", 202)
        assert job["state"] in ("queued", "running")
        again = await ksl.json("POST", f"/api/cases/{case_id}/composite", 202)
        assert again["id"] == job["id"]  # one job per case at a time
        end = time.monotonic() + DEADLINE_S
        while job["state"] in ("queued", "running"):
            assert time.monotonic() < end, "the composite was not done in time"
            await asyncio.sleep(0.2)
            job = await ksl.json("GET", f"/api/composites/{job['id']}")
        assert job["state"] == "done", job
        await served.staff["scheduler"].json("GET", f"/api/composites/{job['id']}", 403)

        listing = await ksl.json("GET", f"/api/cases/{case_id}/recordings")
        (combined,) = [r for r in listing["recordings"] if r["kind"] == "composite"]
        assert combined["id"] == job["recording_id"]
        assert combined["media_type"] == "video/webm"
        assert listing["composites"][0]["state"] == "done"
        seconds = session_seconds(session[1])
        assert abs(combined["duration_seconds"] - seconds) < 0.5

        body, response = await ksl.get(combined["play_url"])
        assert response.headers["Content-Type"] == "video/webm"
        found = inspect(io.BytesIO(body))
        assert found["streams"] == [("video", "vp8"), ("audio", "opus")]
        assert found["size"] == (960, 540)
        assert abs(float(str(found["video_end"])) - seconds) < 0.5

        actions = [
            (e.staff_id, e.action.value)
            for e in await served.audit.entries(case_id=case_id)
        ]
        assert (ksl.id, "composite") in actions
        assert (ksl.id, "play") in actions
    finally:
        await close(served)
