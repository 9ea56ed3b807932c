"""A media server that records, in a process of its own, for the kill -9 test.

``python -m tests.recording_server DATA_DIR`` opens SQLite in ``DATA_DIR``, takes
the demo recording key from there, and serves a small HTTP API: ``POST /rooms``
(open a room), ``POST /connect`` (SDP offer -> answer), ``POST /record`` (record
the room into a case), ``GET /files`` (the files started so far). It prints
its port as JSON when ready. Each file's row is written as the file is created
and closed with it, as the service does.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from counseling.cases import Case
from counseling.services import Language, Service, Skill
from recording.keys import load_or_create_demo_key
from recording.recorder import RecordedFile, RoomRecorder
from rtc_server.server import MediaServer
from storage.database import database_url_for_data_dir, open_database
from storage.recordings import Recording, SqlRecordings
from storage.sql import SqlCaseRepository


async def serve(data_dir: Path) -> None:
    key = load_or_create_demo_key(data_dir)
    db = await open_database(database_url_for_data_dir(data_dir))
    cases = SqlCaseRepository(db)
    recordings = SqlRecordings(db)
    media = MediaServer()
    recorders: list[RoomRecorder] = []
    started: list[dict[str, Any]] = []

    async def open_room(request: web.Request) -> web.Response:
        body = await request.json()
        media.open_room(body["room_id"], body["parties"])
        return web.json_response({})

    async def connect(request: web.Request) -> web.Response:
        body = await request.json()
        sdp = await media.connect(body["room_id"], body["party_id"], body["sdp"])
        return web.json_response({"sdp": sdp})

    async def record(request: web.Request) -> web.Response:
        body = await request.json()
        case_id = body["case_id"]
        await cases.add(
            Case.open(
                case_id, Skill(Service.SIGN_LANGUAGE, Language.KSL), datetime.now(UTC)
            )
        )

        async def on_file(file: RecordedFile) -> None:
            if file.status == "recording":
                await recordings.add(
                    Recording(
                        file.recording_id,
                        case_id,
                        file.party_id,
                        file.party_id,
                        file.kind,
                        file.codec,
                        file.path,
                        file.started_at,
                    )
                )
                started.append(
                    {"id": file.recording_id, "path": file.path, "kind": file.kind}
                )
            elif file.status == "closed" and file.ended_at is not None:
                await recordings.close(file.recording_id, file.ended_at, file.bytes)

        recorder = RoomRecorder(media, body["room_id"], key, data_dir, on_file)
        recorder.start(media.parties(body["room_id"]))
        recorders.append(recorder)
        return web.json_response({})

    async def files(request: web.Request) -> web.Response:
        return web.json_response(started)

    app = web.Application()
    app.router.add_post("/rooms", open_room)
    app.router.add_post("/connect", connect)
    app.router.add_post("/record", record)
    app.router.add_get("/files", files)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(json.dumps({"port": runner.addresses[0][1]}), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        for recorder in recorders:
            await recorder.stop()
        await media.close()
        await runner.cleanup()
        await db.close()


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1])))
