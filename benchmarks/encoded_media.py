"""Pre-encoded clips (VP8 or H.264 video, Opus audio) and a track that sends one
in a loop at its frame rate, like a camera."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, cast

import av
import numpy as np
import numpy.typing as npt
from aiortc import MediaStreamTrack
from av.packet import Packet
from av.video.codeccontext import VideoCodecContext

from rtc_server.frames import KEYFRAME_RULES

WIDTH, HEIGHT, FPS = 640, 480, 30
VIDEO_BITRATE = 800_000
ENCODERS = {"video/vp8": "libvpx", "video/h264": "libx264"}

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class EncodedClip:
    """Encoded frames to send in a loop; frame 0 is a keyframe."""

    kind: str
    frames: tuple[bytes, ...]
    clock_rate: int
    step: int  # clock units from one frame to the next
    codec: str

    @property
    def interval(self) -> float:
        return self.step / self.clock_rate


def moving_pattern(width: int, height: int, count: int, seed: int = 7) -> list[Image]:
    """yuv420p frames: a drifting gradient, two moving discs, light sensor noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    cy, cx = np.mgrid[0 : height // 2, 0 : width // 2].astype(np.float32)
    hue = rng.uniform(0, 2 * math.pi)
    frames: list[Image] = []
    for t in range(count):
        phase = 2 * math.pi * t / count
        luma = (0.25 * xx + 0.15 * yy + 6 * t) % 200 + 20
        for side in (-1, 1):
            hx = width / 2 + side * width * (0.2 + 0.1 * math.sin(phase * (2 + side)))
            hy = height / 2 + 0.2 * height * math.cos(phase + side)
            luma[(xx - hx) ** 2 + (yy - hy) ** 2 < (width / 14) ** 2] = 235
        luma += rng.normal(0, 2, luma.shape).astype(np.float32)
        u = 128 + 40 * np.sin(cx / 40 + phase + hue)
        v = 128 + 40 * np.cos(cy / 30 - phase + hue)
        planes = [np.clip(p, 0, 255).astype(np.uint8).ravel() for p in (luma, u, v)]
        frames.append(np.concatenate(planes).reshape(height * 3 // 2, width))
    return frames


def encode_video(
    seconds: float,
    width: int = WIDTH,
    height: int = HEIGHT,
    fps: int = FPS,
    seed: int = 7,
    bit_rate: int = VIDEO_BITRATE,
    codec: str = "video/vp8",
) -> EncodedClip:
    """One keyframe at the start, then deltas, as a real-time encoder makes them."""
    encoder = cast(VideoCodecContext, av.CodecContext.create(ENCODERS[codec], "w"))
    encoder.width, encoder.height = width, height
    encoder.pix_fmt = "yuv420p"
    encoder.time_base = Fraction(1, fps)
    encoder.framerate = Fraction(fps, 1)
    encoder.bit_rate = bit_rate
    encoder.gop_size = 1_000_000
    if codec == "video/vp8":
        # As WebRTC configures libvpx: real time, no look-ahead, and keyframes
        # held to at most 9 frames' worth of bits (rc_max_intra_bitrate_pct).
        encoder.options = {
            "deadline": "realtime",
            "cpu-used": "8",
            "lag-in-frames": "0",
            "max-intra-rate": "900",
        }
    else:
        encoder.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "profile": "baseline",
            "x264-params": "scenecut=0",
        }
    packets: list[Packet[Any]] = []
    images = moving_pattern(width, height, int(seconds * fps), seed)
    for index, image in enumerate(images):
        frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
        frame.pts = index
        packets += encoder.encode(frame)
    packets += encoder.encode(None)
    frames = tuple(bytes(p) for p in packets)
    keyframe = KEYFRAME_RULES[codec]
    if not keyframe(frames[0]) or any(keyframe(f) for f in frames[1:]):
        raise RuntimeError("expected exactly one keyframe, at the start")
    return EncodedClip("video", frames, 90000, 90000 // fps, codec)


def encode_audio(seconds: float, hz: float = 440.0) -> EncodedClip:
    """Opus, 20 ms frames of a tone with a slow tremolo."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate = 48000
    codec.layout = "stereo"
    codec.format = "s16"
    codec.bit_rate = 64000
    codec.time_base = Fraction(1, 48000)
    samples = 960
    packets: list[Packet[Any]] = []
    for index in range(int(seconds * 50)):
        t = (np.arange(samples) + index * samples) / 48000
        wave = 8000 * np.sin(2 * math.pi * hz * t) * (0.6 + 0.4 * np.sin(t))
        pcm = np.repeat(wave.astype(np.int16), 2).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="stereo")
        frame.sample_rate = 48000
        frame.pts = index * samples
        packets += codec.encode(frame)
    packets += codec.encode(None)
    return EncodedClip(
        "audio", tuple(bytes(p) for p in packets), 48000, samples, "audio/opus"
    )


class LoopedTrack(MediaStreamTrack):
    """Sends a clip's encoded frames in a loop at its frame rate, like a camera.

    A keyframe request (PLI/FIR) restarts the loop at its keyframe. ``log``
    (when kept) lists the clip index of every frame sent, in order.
    """

    def __init__(self, clip: EncodedClip, keep_log: bool = False) -> None:
        super().__init__()
        self.kind = clip.kind
        self._clip = clip
        self._time_base = Fraction(1, clip.clock_rate)
        self._start: float | None = None
        self._position = 0
        self._restart = False
        self.sent = 0
        self.keyframes_requested = 0
        self.log: list[int] | None = [] if keep_log else None

    def restart(self) -> None:
        self.keyframes_requested += 1
        self._restart = True

    async def recv(self) -> Packet[Any]:
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        due = self._start + self.sent * self._clip.interval
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        if self._restart:
            self._restart, self._position = False, 0
        index = self._position
        self._position = (index + 1) % len(self._clip.frames)
        packet: Packet[Any] = Packet(self._clip.frames[index])
        packet.pts = self.sent * self._clip.step
        packet.time_base = self._time_base
        self.sent += 1
        if self.log is not None:
            self.log.append(index)
        return packet
