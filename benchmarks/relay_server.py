"""The media server of the media_relay benchmark in its own process, behind a small
HTTP control API, and the client that starts and drives it."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from dasan import collector
from rtc_server.forwarding import EncodedForwarder, Forwarder, RelayForwarder
from rtc_server.server import MediaServer

ROOT = Path(__file__).resolve().parents[1]
FORWARDERS: dict[str, Callable[[], Forwarder]] = {
    "forwarder": EncodedForwarder,
    "mediarelay": RelayForwarder,
}


class CollectorPauses:
    """How long each pass of Python's cycle collector held the process.

    A pass stops everything, packets waiting in the kernel included, which the
    added latency (measured from a packet's receipt in Python) cannot see."""

    def __init__(self) -> None:
        self._started = 0.0
        self.pauses: list[tuple[float, int, float]] = []  # (ended at, gen, ms)

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        now = time.monotonic()
        if phase == "start":
            self._started = now
        else:
            self.pauses.append((now, info["generation"], 1000 * (now - self._started)))

    def since(self, seconds: float) -> list[tuple[int, float]]:
        cutoff = time.monotonic() - seconds
        self.pauses = [p for p in self.pauses if p[0] >= cutoff]
        return [(generation, ms) for _, generation, ms in self.pauses]


def serve(forwarder: str, stats_window: float) -> None:
    """The media server with a small HTTP API; prints its port when ready."""
    pauses = CollectorPauses()

    async def main() -> None:
        media = MediaServer(
            forwarder_factory=FORWARDERS[forwarder], stats_window=stats_window
        )
        rooms: list[str] = []
        app = web.Application()

        async def open_room(request: web.Request) -> web.Response:
            body = await request.json()
            media.open_room(body["room_id"], body["parties"])
            rooms.append(body["room_id"])
            return web.json_response({})

        async def connect(request: web.Request) -> web.Response:
            body = await request.json()
            sdp = await media.connect(body["room_id"], body["party_id"], body["sdp"])
            return web.json_response({"sdp": sdp})

        async def stats(request: web.Request) -> web.Response:
            out = {
                room: {
                    viewer: {
                        publisher: {
                            "fps": s.fps,
                            "added_latency_ms": list(s.added_latency_ms),
                        }
                        for publisher, s in by_publisher.items()
                    }
                    for viewer, by_publisher in media.stats(room).items()
                }
                for room in rooms
            }
            return web.json_response(
                {"rooms": out, "collector_pauses": pauses.since(stats_window)}
            )

        app.router.add_post("/rooms", open_room)
        app.router.add_post("/connect", connect)
        app.router.add_get("/stats", stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        collector.settle_after_start_up()  # as `dasan serve` does
        gc.callbacks.append(pauses)
        print(json.dumps({"port": port}), flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await media.close()
            await runner.cleanup()

    asyncio.run(main())


class ServerProcess:
    """``serve`` in a child process, and an HTTP client for it."""

    def __init__(self, forwarder: str, stats_window: float) -> None:
        self._args = [
            sys.executable,
            "-m",
            "benchmarks.media_relay",
            "--serve",
            forwarder,
            "--stats-window",
            str(stats_window),
        ]
        self._process: asyncio.subprocess.Process | None = None
        self._http: aiohttp.ClientSession | None = None
        self.url = ""

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    async def __aenter__(self) -> ServerProcess:
        self._process = await asyncio.create_subprocess_exec(
            *self._args,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        assert self._process.stdout is not None
        line = await asyncio.wait_for(self._process.stdout.readline(), 30)
        if not line:
            raise RuntimeError("the media server process did not start")
        self.url = f"http://127.0.0.1:{json.loads(line)['port']}"
        self._http = aiohttp.ClientSession(self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http is not None:
            await self._http.close()
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            try:
                await asyncio.wait_for(self._process.wait(), 10)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        assert self._http is not None
        async with self._http.post(path, json=body) as response:
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status} {await response.text()}")
            return await response.json()

    async def stats(self) -> Any:
        assert self._http is not None
        async with self._http.get("/stats") as response:
            return await response.json()
