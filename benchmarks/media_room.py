"""Media server CPU and memory per two-party room of 640x480 25 fps video, against
the same peer pairs connected directly: what one endpoint costs to encode and decode.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import math
import os
import re
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.stats import RTCOutboundRtpStreamStats
from av import VideoFrame

from benchmarks.signaling_latency import (
    DasanServer,
    TimedParty,
    cpu_seconds,
    loadavg,
    machine_info,
    rss_kb,
)
from signaling.auth import COOKIE_NAME

WIDTH, HEIGHT = 640, 480
PATTERN_FRAMES = 50  # two seconds at 25 fps, cycled
FLOWING_FRAMES = 25  # every subscriber has decoded this many before we measure
FLOWING_DEADLINE = 40.0
CLOSE_DEADLINE = 10.0

Image = npt.NDArray[np.uint8]


def moving_pattern(count: int, seed: int = 7) -> list[Image]:
    """Frames in yuv420p layout: a drifting gradient, two moving discs, sensor noise.

    A solid colour compresses unrealistically well; this keeps the encoder busy the
    way a signing person in front of a wall roughly does, at little cost to make.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    cy, cx = np.mgrid[0 : HEIGHT // 2, 0 : WIDTH // 2].astype(np.float32)
    frames: list[Image] = []
    for t in range(count):
        phase = 2 * math.pi * t / count
        luma = (0.25 * xx + 0.15 * yy + 6 * t) % 200 + 20
        for side in (-1, 1):  # two "hands"
            hx = WIDTH / 2 + side * (
                120 + 60 * math.sin(phase * (2 if side > 0 else 3))
            )
            hy = HEIGHT / 2 + 90 * math.cos(phase + side)
            luma[(xx - hx) ** 2 + (yy - hy) ** 2 < 45**2] = 235
        luma += rng.normal(0, 4, luma.shape).astype(np.float32)
        u = 128 + 40 * np.sin(cx / 40 + phase)
        v = 128 + 40 * np.cos(cy / 30 - phase)
        planes = [np.clip(p, 0, 255).astype(np.uint8).ravel() for p in (luma, u, v)]
        frames.append(np.concatenate(planes).reshape(HEIGHT * 3 // 2, WIDTH))
    return frames


class PatternTrack(MediaStreamTrack):
    """A camera filming the moving pattern; late frames are dropped, like a camera."""

    kind = "video"

    def __init__(self, frames: Sequence[Image], fps: int) -> None:
        super().__init__()
        self._frames = frames
        self._fps = fps
        self._start: float | None = None
        self._index = -1
        self.sent = 0

    async def recv(self) -> VideoFrame:
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        due_index = max(self._index + 1, int((loop.time() - self._start) * self._fps))
        await asyncio.sleep(max(0.0, self._start + due_index / self._fps - loop.time()))
        self._index = due_index
        frame = VideoFrame.from_ndarray(
            self._frames[due_index % len(self._frames)], format="yuv420p"
        )
        frame.pts = due_index * (90000 // self._fps)
        frame.time_base = fractions.Fraction(1, 90000)
        self.sent += 1
        return frame


class Endpoint:
    """One aiortc peer: publishes the pattern and counts the video frames it decodes."""

    def __init__(self, frames: Sequence[Image], fps: int) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.track = PatternTrack(frames, fps)
        self.pc.addTrack(self.track)
        self.received = 0
        self.flowing = asyncio.Event()  # set once FLOWING_FRAMES have been decoded
        self._readers: set[asyncio.Task[None]] = set()
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "video":
            self._readers.add(asyncio.create_task(self._count(track)))

    async def _count(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            self.received += 1
            if self.received >= FLOWING_FRAMES:
                self.flowing.set()

    async def bytes_sent(self) -> int:
        report = await self.pc.getStats()
        return sum(
            s.bytesSent
            for s in report.values()
            if isinstance(s, RTCOutboundRtpStreamStats)
        )

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        sdp: str = self.pc.localDescription.sdp
        return sdp

    async def answered(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=sdp, type="answer")
        )

    async def answer(self, offer_sdp: str) -> str:
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=offer_sdp, type="offer")
        )
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        sdp: str = self.pc.localDescription.sdp
        return sdp

    async def close(self) -> None:
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        self._readers.clear()
        await asyncio.wait_for(self.pc.close(), CLOSE_DEADLINE)


def video_codec(sdp: str) -> str:
    """The first codec of the m=video section of an answer: the one in use."""
    media = re.search(r"^m=video \S+ \S+ (\d+)", sdp, re.MULTILINE)
    if media is None:
        return "none"
    rtpmap = re.search(rf"^a=rtpmap:{media.group(1)} ([^/\s]+)", sdp, re.MULTILINE)
    return rtpmap.group(1) if rtpmap else "unknown"


def ok(ack: Any, what: str) -> Any:
    if not (isinstance(ack, dict) and ack.get("ok")):
        raise RuntimeError(f"{what} refused: {ack}")
    return ack


@dataclass
class Room:
    """A citizen and an interpreter in one server room, each with an endpoint."""

    citizen: TimedParty
    interpreter: TimedParty
    room_id: str = ""
    endpoints: list[Endpoint] = field(default_factory=list)
    codec: str = ""

    async def open(self, url: str, frames: Sequence[Image], fps: int) -> None:
        ok(
            await self.interpreter.call("set_presence", {"status": "available"}),
            "set_presence",
        )
        await self.citizen.connect(url)
        ok(await self.citizen.call("request", {"service": "sign_language"}), "request")
        _, offer = await self.interpreter.next("offer")
        accept = {"offer_id": offer["offer_id"]}
        ok(await self.interpreter.call("accept_offer", accept), "accept_offer")
        self.room_id = (await self.citizen.next("session_started"))[1]["room_id"]
        await self.interpreter.next("session_started")
        for party in (self.citizen, self.interpreter):
            endpoint = Endpoint(frames, fps)
            self.endpoints.append(endpoint)
            payload = {"room_id": self.room_id, "type": "offer"}
            payload["sdp"] = await endpoint.offer()
            answer = ok(await party.call("rtc_offer", payload), "rtc_offer")
            self.codec = video_codec(answer["sdp"])
            await endpoint.answered(answer["sdp"])

    async def close(self) -> None:
        """Hang up and take the interpreter off duty; safe after a failed open."""
        try:
            if self.room_id and self.citizen.connected:
                await self.citizen.call("hang_up", {"room_id": self.room_id})
                await self.interpreter.next("session_ended")
                await self.interpreter.until("status", "status", "wrap_up")
            if self.interpreter.connected:
                away = {"status": "away", "reason": "other"}
                await self.interpreter.call("set_presence", away)
        finally:
            await asyncio.gather(
                *(e.close() for e in self.endpoints), return_exceptions=True
            )
            await self.citizen.disconnect()


async def direct_pair(frames: Sequence[Image], fps: int) -> list[Endpoint]:
    """Two endpoints connected to each other, no server in between."""
    first, second = Endpoint(frames, fps), Endpoint(frames, fps)
    try:
        await first.answered(await second.answer(await first.offer()))
    except BaseException:
        await asyncio.gather(first.close(), second.close(), return_exceptions=True)
        raise
    return [first, second]


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


async def wait_flowing(endpoints: Sequence[Endpoint]) -> None:
    try:
        await asyncio.wait_for(
            asyncio.gather(*(e.flowing.wait() for e in endpoints)), FLOWING_DEADLINE
        )
    except TimeoutError:
        counts = [e.received for e in endpoints]
        raise RuntimeError(f"media did not flow in time: {counts}") from None


def mean_min_max(values: Sequence[float]) -> dict[str, float]:
    return {
        "mean": round(statistics.fmean(values), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
    }


async def measure(
    server_pid: int, endpoints: Sequence[Endpoint], window: float
) -> dict[str, Any]:
    """CPU, memory and frame counts over ``window`` seconds of wall time."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    server0, own0 = cpu_seconds(server_pid), own_cpu_seconds()
    received0 = [e.received for e in endpoints]
    sent0 = [e.track.sent for e in endpoints]
    bytes0 = [await e.bytes_sent() for e in endpoints]
    await asyncio.sleep(window)
    wall = loop.time() - start
    server_cpu = cpu_seconds(server_pid) - server0
    own_cpu = own_cpu_seconds() - own0
    result: dict[str, Any] = {
        "wall_s": round(wall, 2),
        "server_cpu_s": round(server_cpu, 2),
        "server_core_pct": round(100 * server_cpu / wall, 1),
        "server_rss_kb": rss_kb(server_pid),
        "bench_process_core_pct": round(100 * own_cpu / wall, 1),
        "loadavg": loadavg(),
    }
    if endpoints:
        received = [
            (e.received - r) / wall for e, r in zip(endpoints, received0, strict=True)
        ]
        sent = [
            (e.track.sent - s) / wall for e, s in zip(endpoints, sent0, strict=True)
        ]
        result["delivered_fps_per_subscriber"] = mean_min_max(received)
        result["published_fps_per_publisher"] = mean_min_max(sent)
        kbps = [
            8 * (await e.bytes_sent() - b) / wall / 1000
            for e, b in zip(endpoints, bytes0, strict=True)
        ]
        result["published_kbps_per_publisher"] = mean_min_max(kbps)
        result["bench_core_pct_per_endpoint"] = round(
            100 * own_cpu / wall / len(endpoints), 1
        )
    return result


async def through_server(
    server: DasanServer,
    interpreters: Sequence[TimedParty],
    frames: Sequence[Image],
    args: argparse.Namespace,
) -> dict[str, Any]:
    rooms = [Room(TimedParty("/citizen"), interpreter) for interpreter in interpreters]
    try:
        for room in rooms:
            await room.open(server.url, frames, args.fps)
        endpoints = [e for room in rooms for e in room.endpoints]
        await wait_flowing(endpoints)
        await asyncio.sleep(args.settle)
        result = await measure(server.pid, endpoints, args.window)
        result["codec"] = sorted({room.codec for room in rooms})
        return result
    finally:
        await asyncio.gather(*(room.close() for room in rooms), return_exceptions=True)


async def direct(
    server: DasanServer, pairs: int, frames: Sequence[Image], args: argparse.Namespace
) -> dict[str, Any]:
    endpoints: list[Endpoint] = []
    try:
        for _ in range(pairs):
            endpoints += await direct_pair(frames, args.fps)
        await wait_flowing(endpoints)
        await asyncio.sleep(args.settle)
        return await measure(server.pid, endpoints, args.window)
    finally:
        await asyncio.gather(*(e.close() for e in endpoints), return_exceptions=True)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    frames = moving_pattern(PATTERN_FRAMES)
    most = max(args.rooms)
    usernames = [f"bench.interpreter.{i}" for i in range(most)]
    interpreters = [TimedParty("/staff") for _ in usernames]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="dasan-bench-") as data_dir:
        async with DasanServer(Path(data_dir)) as server:
            for username in usernames:
                await server.add_interpreter(username)
            await server.start()
            try:
                for party, username in zip(interpreters, usernames, strict=True):
                    token = await server.login(username)
                    headers = {"Cookie": f"{COOKIE_NAME}={token}"}
                    await party.connect(server.url, headers)
                idle = await measure(server.pid, [], args.window)
                for count in args.rooms:
                    project = await through_server(
                        server, interpreters[:count], frames, args
                    )
                    baseline = await direct(server, count, frames, args)
                    results.append(summarise(count, idle, project, baseline))
            finally:
                await asyncio.gather(
                    *(p.disconnect() for p in interpreters), return_exceptions=True
                )
    return {
        "benchmark": "media_room",
        "video": {
            "width": WIDTH,
            "height": HEIGHT,
            "fps": args.fps,
            "pattern": "drifting gradient, two moving discs, noise; no audio",
        },
        "window_s": args.window,
        "server_idle": idle,
        "rooms": results,
        "machine": machine_info(),
    }


def summarise(
    rooms: int, idle: dict[str, Any], project: dict[str, Any], baseline: dict[str, Any]
) -> dict[str, Any]:
    per_room = (project["server_core_pct"] - idle["server_core_pct"]) / rooms
    per_endpoint = baseline["bench_core_pct_per_endpoint"]
    return {
        "rooms": rooms,
        "project": project,
        "baseline": baseline,
        "server_core_pct_per_room_above_idle": round(per_room, 1),
        "endpoint_core_pct": per_endpoint,
        "server_room_in_endpoints": round(per_room / per_endpoint, 2),
        # read during the baseline, when this step's rooms are closed
        "server_rss_kb_after_rooms_closed": baseline["server_rss_kb"],
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--rooms", type=int, nargs="+", default=[1, 2], help="room counts to run"
    )
    parser.add_argument("--window", type=float, default=15.0, help="seconds measured")
    parser.add_argument(
        "--settle", type=float, default=3.0, help="seconds after media flows"
    )
    parser.add_argument("--fps", type=int, default=25, help="published frame rate")
    args = parser.parse_args(argv)
    if min(args.rooms) < 1 or args.window <= 0 or args.settle < 0 or args.fps < 1:
        parser.error("rooms and fps must be 1 or more, window positive, settle >= 0")
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()
