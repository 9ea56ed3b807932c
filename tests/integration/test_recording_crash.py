"""THE crash test: kill -9 a recording server mid-session, then play its files.

A real server process (``tests/recording_server.py``) records a two-party call
of real aiortc peers publishing VP8 and Opus. At a random moment it is killed
with SIGKILL. Every file must then decrypt and decode up to at most two
seconds before the kill, and start-up recovery must close every row.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.media_relay import EncodedPeer, encode_audio, encode_video
from recording.keys import load_or_create_demo_key
from recording.recovery import recovery_inspector
from recording.sealed import scan
from storage.database import database_url_for_data_dir, open_database
from storage.recordings import RecordingStatus, SqlRecordings
from tests.recordings import ARRIVAL_JITTER, play

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 30.0
MAX_LOSS = 2.0  # seconds of media a kill may cost, at most
PARTIES = ("citizen", "interpreter")


@asynccontextmanager
async def recording_server(
    data_dir: Path,
) -> AsyncIterator[tuple[asyncio.subprocess.Process, aiohttp.ClientSession]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.recording_server",
        str(data_dir),
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), DEADLINE)
        assert line, "the recording server did not start"
        url = f"http://127.0.0.1:{json.loads(line)['port']}"
        async with aiohttp.ClientSession(url) as http:
            yield process, http
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def post(http: aiohttp.ClientSession, path: str, body: dict[str, Any]) -> Any:
    async with http.post(path, json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def until(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < end, f"{what}: not within {DEADLINE} s"
        await asyncio.sleep(0.01)


async def test_a_killed_server_leaves_files_that_play_to_two_seconds_before(
    tmp_path: Path,
) -> None:
    key = load_or_create_demo_key(tmp_path)
    audio = encode_audio(2, hz=330)
    peers = {
        party: EncodedPeer(encode_video(4, 320, 240, seed=n), audio, slots=1)
        for n, party in enumerate(PARTIES)
    }
    try:
        async with recording_server(tmp_path) as (process, http):
            await post(http, "/rooms", {"room_id": "room", "parties": list(PARTIES)})
            for party, peer in peers.items():

                async def connect(sdp: str, party: str = party) -> str:
                    body = {"room_id": "room", "party_id": party, "sdp": sdp}
                    answer: str = (await post(http, "/connect", body))["sdp"]
                    return answer

                await peer.join(connect)
            video = peers["interpreter"].tracks["video"]
            await until(lambda: video.sent > 15, "the call")
            await post(http, "/record", {"room_id": "room", "case_id": "c" * 32})
            end = time.monotonic() + DEADLINE
            while True:  # every track's file created and its row written
                async with http.get("/files") as response:
                    if len(await response.json()) == 4:
                        break
                assert time.monotonic() < end, "the files were not created"
                await asyncio.sleep(0.05)
            # A random moment, 2 to 6 s into the recording.
            frames = video.sent + random.randint(60, 180)
            await until(lambda: video.sent >= frames, "the moment")
            killed_at = time.time()
            os.kill(process.pid, signal.SIGKILL)
            await process.wait()
    finally:
        await asyncio.gather(*(p.close() for p in peers.values()))

    db = await open_database(database_url_for_data_dir(tmp_path))
    try:
        recordings = SqlRecordings(db)
        left_open = await recordings.unfinished()
        assert len(left_open) == 4
        assert {(r.party_id, r.kind) for r in left_open} == {
            (p, k) for p in PARTIES for k in ("audio", "video")
        }
        played = {}
        for row in left_open:
            path = tmp_path / row.path
            assert not scan(path, key).closed
            result = play(path, key)
            assert result.last_decoded is not None, row
            last = row.started_at.timestamp() + result.last_decoded
            assert killed_at - MAX_LOSS <= last <= killed_at + ARRIVAL_JITTER, (
                f"{row.kind} of {row.party_id} plays to {killed_at - last:.2f} s "
                "before the kill"
            )
            assert result.decoded == len(result.packets)
            played[row.id] = result.decoded

        recovered = await recordings.recover(recovery_inspector(tmp_path, key))

        assert {r.id for r in recovered} == set(played)
        assert await recordings.unfinished() == []
        for row in recovered:
            assert row.status is RecordingStatus.RECOVERED
            assert row.ended_at is not None
            assert (
                row.started_at < row.ended_at <= datetime.fromtimestamp(killed_at, UTC)
            )
            path = tmp_path / row.path
            assert scan(path, key).closed and path.stat().st_size == row.bytes
            assert play(path, key).decoded == played[row.id]
    finally:
        await db.close()
