"""kill -9 of a real ``dasan serve`` in the middle of a recorded session.

A citizen and an interpreter (socket.io clients with aiortc peers sending real
VP8 and Opus) both agree to the recording; at a random moment 2 to 5 s into
it the server process is killed with SIGKILL. Every file of the case must
decrypt and decode up to at most two seconds before the kill; started again on
the same data folder and database, the service closes the case as
``service_interrupted``, closes the files as recovered with a
``recording_recovered`` event each, and a supervisor plays them over HTTP.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import signal
import time
from pathlib import Path

import aiohttp
import av
import pytest
from av.container import InputContainer

from benchmarks.media_relay import EncodedClip, encode_audio, encode_video
from counseling.cases import CaseStatus, EndReason, EventKind
from recording.keys import load_or_create_demo_key
from storage.database import open_database
from storage.recordings import RecordingStatus, SqlRecordings
from storage.sql import SqlCaseRepository
from tests.integration.processes import PASSWORD, server_process
from tests.integration.recorded_calls import (
    TRACKS,
    answer,
    close_all,
    files_grow,
    recorded_session,
    rows_until,
    service_env,
    told,
    tracks,
)
from tests.integration.rooms import Someone, until
from tests.pg import fresh_database_url
from tests.recordings import ARRIVAL_JITTER, play

MAX_LOSS = 2.0  # seconds of media a kill may cost, at most


@pytest.fixture(scope="module")
def clips() -> dict[str, dict[str, EncodedClip]]:
    names = ("citizen", "interpreter", "stranger")
    return {
        name: {
            "video": encode_video(2, 160, 120, seed=60 + i),
            "audio": encode_audio(1, hz=350 + 80 * i),
        }
        for i, name in enumerate(names)
    }


def decode_body(body: bytes) -> int:
    """Frames decoded from a played-back WebM, as a browser's player gets it."""
    with av.open(io.BytesIO(body), "r") as container:
        assert isinstance(container, InputContainer)
        return sum(1 for _ in container.decode(container.streams[0]))


async def test_kill_9_of_dasan_serve_leaves_files_that_play_and_are_recovered(
    tmp_path: Path, clips: dict[str, dict[str, EncodedClip]]
) -> None:
    data_dir = tmp_path / "data"
    made: list[Someone] = []
    async with fresh_database_url() as database_url:
        env = service_env(tmp_path, database_url)
        db = await open_database(database_url)
        try:
            async with server_process(env, tmp_path) as (url, process):
                try:
                    citizen, interpreter, case_id = await recorded_session(
                        url, url, clips, made
                    )
                    assert await answer(interpreter, True) == {"ok": True}
                    assert await answer(citizen, True) == {"ok": True}
                    await told(citizen, "recording")
                    rows = await rows_until(
                        db, case_id, lambda r: tracks(r) == TRACKS, "four files"
                    )
                    await files_grow(data_dir, rows)
                    # A random moment, 2 to 5 s on, counted in frames sent.
                    assert interpreter.peer is not None
                    video = interpreter.peer.tracks["video"]
                    interval = clips["interpreter"]["video"].interval
                    moment = video.sent + round(random.uniform(2, 5) / interval)
                    await until(lambda: video.sent >= moment, "the moment")
                    killed_at = time.time()
                    os.kill(process.pid, signal.SIGKILL)
                    await process.wait()
                finally:
                    await close_all(made)

            key = load_or_create_demo_key(data_dir)
            left_open = await SqlRecordings(db).for_case(case_id)
            assert tracks(left_open) == TRACKS
            assert {r.status for r in left_open} == {RecordingStatus.RECORDING}
            played: dict[str, int] = {}
            for row in left_open:
                result = play(data_dir / row.path, key)
                assert result.last_decoded is not None, row
                assert result.decoded == len(result.packets), row
                last = row.started_at.timestamp() + result.last_decoded
                assert killed_at - MAX_LOSS <= last <= killed_at + ARRIVAL_JITTER, (
                    f"{row.kind} of {row.party_role} plays to "
                    f"{killed_at - last:.2f} s before the kill"
                )
                played[row.id] = result.decoded

            # Started again on the same data folder and database.
            async with server_process(env, tmp_path) as (url, _):
                case = await SqlCaseRepository(db).get(case_id)
                assert case is not None
                assert case.status is CaseStatus.ENDED
                assert case.end_reason is EndReason.SERVICE_INTERRUPTED
                recovered = [
                    str(e.detail)
                    for e in case.events
                    if e.kind is EventKind.RECORDING_RECOVERED
                ]
                assert sorted(recovered) == sorted(played)
                closed = await SqlRecordings(db).for_case(case_id)
                assert {r.status for r in closed} == {RecordingStatus.RECOVERED}
                for row in closed:
                    assert row.ended_at is not None
                    assert row.started_at < row.ended_at
                    assert row.ended_at.timestamp() <= killed_at
                    path = data_dir / row.path
                    assert path.stat().st_size == row.bytes
                    assert play(path, key).decoded == played[row.id]

                supervisor = aiohttp.CookieJar(unsafe=True)
                async with aiohttp.ClientSession(url, cookie_jar=supervisor) as http:
                    login = {"username": "supervisor", "password": PASSWORD}
                    async with http.post("/api/login", json=login) as response:
                        assert response.status == 200, await response.text()
                    listed = f"/api/cases/{case_id}/recordings"
                    async with http.get(listed) as response:
                        assert response.status == 200, await response.text()
                        listing = await response.json()
                    shown = listing["recordings"]
                    assert {r["id"] for r in shown} == set(played)
                    assert {r["status"] for r in shown} == {"recovered"}
                    for item in shown:
                        async with http.get(item["play_url"]) as response:
                            assert response.status == 200, await response.text()
                            body = await response.read()
                        frames = await asyncio.to_thread(decode_body, body)
                        assert frames == played[item["id"]], item
        finally:
            await db.close()
