"""The media_relay load generator: three-party rooms of encoded peers, and what
they deliver in a measured window."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.encoded_media import EncodedClip
from benchmarks.encoded_peer import Capture, EncodedPeer
from benchmarks.relay_server import ServerProcess
from benchmarks.signaling_latency import cpu_seconds, loadavg, rss_kb

FLOWING_FRAMES = 15
FLOWING_DEADLINE = 30.0


@dataclass
class Room:
    room_id: str
    peers: list[EncodedPeer]


async def open_room(
    server: ServerProcess, index: int, video: EncodedClip, audio: EncodedClip
) -> Room:
    room_id = f"room-{index}"
    parties = [f"{room_id}-party-{p}" for p in range(3)]
    await server.post("/rooms", {"room_id": room_id, "parties": parties})
    room = Room(room_id, [EncodedPeer(video, audio, slots=2) for _ in parties])
    for party_id, peer in zip(parties, room.peers, strict=True):

        async def connect(sdp: str, party_id: str = party_id) -> str:
            body = {"room_id": room_id, "party_id": party_id, "sdp": sdp}
            answer: str = (await server.post("/connect", body))["sdp"]
            return answer

        await peer.join(connect)
    return room


def video_captures(rooms: Sequence[Room]) -> list[Capture]:
    return [c for r in rooms for p in r.peers for c in p.captures("video").values()]


async def wait_flowing(rooms: Sequence[Room]) -> bool:
    deadline = time.monotonic() + FLOWING_DEADLINE
    while any(c.frames < FLOWING_FRAMES for c in video_captures(rooms)):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.2)
    return True


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


async def measure(
    server: ServerProcess, rooms: Sequence[Room], window: float
) -> dict[str, Any]:
    captures = video_captures(rooms)
    tracks = [t for r in rooms for p in r.peers for t in p.tracks.values()]
    video = [t for t in tracks if t.kind == "video"]
    start = time.monotonic()
    server0, own0 = cpu_seconds(server.pid), own_cpu_seconds()
    frames0 = [c.frames for c in captures]
    sent0 = [t.sent for t in video]
    await asyncio.sleep(window)
    wall = time.monotonic() - start
    server_cpu = cpu_seconds(server.pid) - server0
    own_cpu = own_cpu_seconds() - own0
    fps = [(c.frames - f) / wall for c, f in zip(captures, frames0, strict=True)]
    published = [(t.sent - s) / wall for t, s in zip(video, sent0, strict=True)]
    reply = await server.stats()
    stats = reply["rooms"]
    pauses = [ms for _, ms in reply["collector_pauses"]]
    latencies = [
        ms
        for room in stats.values()
        for by_publisher in room.values()
        for s in by_publisher.values()
        for ms in s["added_latency_ms"]
    ]
    server_fps = [
        s["fps"]
        for room in stats.values()
        for by_publisher in room.values()
        for s in by_publisher.values()
    ]
    return {
        "rooms": len(rooms),
        "wall_s": round(wall, 2),
        "delivered_fps": {
            "min": round(min(fps), 2),
            "median": round(statistics.median(fps), 2),
            "subscribers": len(fps),
        },
        "server_sent_fps_median": round(statistics.median(server_fps), 2)
        if server_fps
        else None,
        "published_fps_median": round(statistics.median(published), 2),
        "added_latency_ms": {
            "p50": percentile(latencies, 0.5),
            "p99": percentile(latencies, 0.99),
            "max": percentile(latencies, 1.0),
            "frames": len(latencies),
        },
        "collector_pauses_ms": {
            "passes": len(pauses),
            "over_10_ms": sum(1 for ms in pauses if ms > 10),
            "max": round(max(pauses), 2) if pauses else 0.0,
            "total": round(sum(pauses), 1),
            "full_passes": sum(1 for g, _ in reply["collector_pauses"] if g == 2),
        },
        "cpu_s_per_s": round(server_cpu / wall, 3),
        "cpu_s_per_s_per_room": round(server_cpu / wall / len(rooms), 3),
        "rss_mb": round(rss_kb(server.pid) / 1024, 1),
        "generator_cpu_s_per_s": round(own_cpu / wall, 3),
        "loadavg": loadavg(),
    }
