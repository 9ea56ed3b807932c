"""Forwarding encoded frames against aiortc's MediaRelay, in three-party rooms.

``python -m benchmarks.media_relay --json FILE`` runs the media server
(``rtc_server.MediaServer`` behind a small HTTP control API) in its own process
and this load generator in another. The generator opens K rooms of three
aiortc peers; each publishes a looped, pre-encoded 640x480 30 fps VP8 stream
plus Opus (encoded once at start, so sending costs no encoding) and subscribes
to the other two without decoding (it counts the encoded frames it gets).
For the encoded forwarder and for MediaRelay, in the same run, K rises until
the median delivered frame rate falls under 25 fps; the largest K that held is
reported with the server's CPU seconds per second, its RSS, delivered fps per
subscriber (min, median) and the latency the server adds between receiving a
frame and having sent it to a subscriber (p50, p99; measured in the server).
``--quick`` runs K=2 for both.

The clips are in ``benchmarks.encoded_media``, the peers (``EncodedPeer``, also
the real aiortc parties of ``tests/integration/test_forwarding.py`` and
``test_media_rooms.py``) in ``benchmarks.encoded_peer``, the server process in
``benchmarks.relay_server`` and the rooms and measurement in
``benchmarks.relay_load``; this module sweeps K and writes the report.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.encoded_media import (
    FPS,
    HEIGHT,
    WIDTH,
    EncodedClip,
    encode_audio,
    encode_video,
)
from benchmarks.encoded_peer import Capture, EncodedPeer
from benchmarks.relay_load import Room, measure, open_room, wait_flowing
from benchmarks.relay_server import FORWARDERS, ServerProcess, serve
from benchmarks.signaling_latency import machine_info, rss_kb

__all__ = [
    "Capture",
    "EncodedClip",
    "EncodedPeer",
    "encode_audio",
    "encode_video",
    "main",
]

CLIP_SECONDS = 3
TARGET_FPS = 25.0
LATENCY_GOAL_MS = 5.0
STEPS = (1, 2, 3, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64)


async def run_forwarder(
    name: str,
    steps: Sequence[int],
    video: EncodedClip,
    audio: EncodedClip,
    args: argparse.Namespace,
) -> dict[str, Any]:
    rooms: list[Room] = []
    results: list[dict[str, Any]] = []
    async with ServerProcess(name, args.window) as server:
        idle_rss = round(rss_kb(server.pid) / 1024, 1)
        try:
            for count in steps:
                while len(rooms) < count:
                    rooms.append(await open_room(server, len(rooms), video, audio))
                flowing = await wait_flowing(rooms)
                await asyncio.sleep(args.settle)
                result = await measure(server, rooms, args.window)
                result["flowing"] = flowing
                result["held"] = result["delivered_fps"]["median"] >= TARGET_FPS
                results.append(result)
                print(json.dumps({name: result}), file=sys.stderr, flush=True)
                if not result["held"]:
                    break
        finally:
            await asyncio.gather(
                *(p.close() for r in rooms for p in r.peers), return_exceptions=True
            )
    held = [r for r in results if r["held"]]
    at = held[-1] if held else results[0]
    quick = [r for r in held if (r["added_latency_ms"]["p99"] or 0) < LATENCY_GOAL_MS]
    return {
        "max_rooms_at_25fps": at["rooms"] if held else 0,
        # The goal's second half: the most rooms that held 25 fps with an
        # added latency p99 under 5 ms.
        "max_rooms_at_25fps_p99_under_5ms": quick[-1]["rooms"] if quick else 0,
        "added_latency_ms": {
            "p50": at["added_latency_ms"]["p50"],
            "p99": at["added_latency_ms"]["p99"],
        },
        "cpu_s_per_s": at["cpu_s_per_s"],
        "rss_mb": at["rss_mb"],
        "collector_pauses_ms": at["collector_pauses_ms"],
        "delivered_fps": at["delivered_fps"],
        "measured_at_rooms": at["rooms"],
        "one_room": {
            "delivered_fps_median": results[0]["delivered_fps"]["median"],
            "cpu_s_per_s": results[0]["cpu_s_per_s"],
        }
        if results[0]["rooms"] == 1
        else None,
        "idle_rss_mb": idle_rss,
        "steps": results,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    began = time.monotonic()
    video = encode_video(CLIP_SECONDS)
    audio = encode_audio(CLIP_SECONDS)
    steps = [2] if args.quick else [k for k in STEPS if k <= args.max_rooms]
    report: dict[str, Any] = {
        "benchmark": "media_relay",
        "room": "3 parties, each publishing video and audio to the other two",
        "video": {
            "codec": "VP8",
            "width": WIDTH,
            "height": HEIGHT,
            "fps": FPS,
            "loop_s": CLIP_SECONDS,
            "mean_frame_bytes": round(statistics.fmean(map(len, video.frames))),
            "keyframe_bytes": len(video.frames[0]),
        },
        "audio": {"codec": "Opus", "frame_ms": 20},
        "window_s": args.window,
        "target_fps": TARGET_FPS,
        "room_counts_tried": steps,
    }
    for name in args.forwarders:
        report[name] = await run_forwarder(name, steps, video, audio, args)
    if "forwarder" in report and "mediarelay" in report:
        relay = report["mediarelay"]["max_rooms_at_25fps"]
        ours = report["forwarder"]["max_rooms_at_25fps"]
        report["rooms_ratio"] = round(ours / relay, 2) if relay else None
        if not relay:
            report["note"] = (
                f"MediaRelay held none of the room counts tried ({steps}) at "
                f"{TARGET_FPS:g} fps; compare cpu_s_per_s_per_room in the steps"
            )
    report["machine"] = machine_info()
    report["elapsed_s"] = round(time.monotonic() - began, 1)
    return report


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--quick", action="store_true", help="K=2 for both, briefly")
    parser.add_argument("--window", type=float, help="seconds measured per step")
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--max-rooms", type=int, default=STEPS[-1])
    parser.add_argument(
        "--forwarders",
        nargs="+",
        choices=sorted(FORWARDERS),
        default=["forwarder", "mediarelay"],
    )
    parser.add_argument("--serve", choices=sorted(FORWARDERS), help=argparse.SUPPRESS)
    parser.add_argument(
        "--stats-window", type=float, default=10.0, help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.stats_window)
        return
    if args.window is None:
        args.window = 5.0 if args.quick else 10.0
    if args.quick:
        args.settle = min(args.settle, 1.0)
    if args.window <= 0 or args.settle < 0 or args.max_rooms < 1:
        parser.error("window must be positive, settle >= 0, max-rooms >= 1")
    report = asyncio.run(run(args))
    text = json.dumps(report, indent=2)
    print(text)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
