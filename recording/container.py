"""One track's file: encoded packets muxed into WebM/Matroska, sealed as they come.

PyAV's muxer writes into a non-seekable buffer in memory (so it writes a live
stream: no seeking back to fill in sizes, clusters of at most
``CLUSTER_MS``); whatever it has written is sealed as one chunk at least every
``seal_every`` seconds. Nothing is decoded or encoded, and no plaintext byte
reaches the disk. Blocking: the recorder runs it in a thread of its own.
"""

from __future__ import annotations

import contextlib
import time
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
from av.container import OutputContainer
from av.stream import Stream

from recording.errors import RecordingError
from recording.h264 import h264_size
from recording.keys import RecordingKey
from recording.sealed import Clock, SealedWriter

CLUSTER_MS = 200
# codec -> (container format, FFmpeg codec name)
FORMATS = {
    "vp8": ("webm", "vp8"),
    "opus": ("webm", "opus"),
    "h264": ("matroska", "h264"),
}


def sniff_codec(kind: str, data: bytes, clock_rate: int) -> str:
    """The codec of a forwarded track's first frame (a keyframe for video)."""
    if kind == "video":
        return (
            "h264" if data[:3] == b"\x00\x00\x01" or data[:4] == b"\0\0\0\1" else "vp8"
        )
    if kind == "audio" and clock_rate == 48000:
        return "opus"
    raise RecordingError(f"cannot record {kind} at {clock_rate} Hz")


def vp8_size(keyframe: bytes) -> tuple[int, int]:
    """RFC 6386 9.1: a key frame's width and height (0, 0 when not one)."""
    if len(keyframe) < 10 or keyframe[3:6] != b"\x9d\x01\x2a":
        return 0, 0
    width = int.from_bytes(keyframe[6:8], "little") & 0x3FFF
    height = int.from_bytes(keyframe[8:10], "little") & 0x3FFF
    return width, height


class _Buffer:
    """Where the muxer writes: a growing byte string, not seekable."""

    def __init__(self) -> None:
        self._data = bytearray()

    def write(self, data: bytes) -> int:
        self._data += data
        return len(data)

    def seekable(self) -> bool:
        return False

    def take(self) -> bytes:
        data = bytes(self._data)
        self._data.clear()
        return data


class TrackFile:
    """A sealed WebM/Matroska file of one track, written from one thread."""

    def __init__(
        self,
        path: Path,
        key: RecordingKey,
        codec: str,
        time_base: Fraction,
        first_frame: bytes = b"",
        seal_every: float = 1.0,
        clock: Clock = time.time,
    ) -> None:
        if codec not in FORMATS:
            raise RecordingError(f"cannot record {codec}")
        if seal_every <= 0:
            raise ValueError("seal_every must be positive")
        container_format, codec_name = FORMATS[codec]
        self.codec = codec
        self._clock = clock
        self._seal_every = seal_every
        self._time_base = time_base
        self._sealed = SealedWriter(path, key, clock)
        self._buffer = _Buffer()
        self._container: OutputContainer = av.open(
            self._buffer,
            "w",
            format=container_format,
            options={"live": "1", "cluster_time_limit": str(CLUSTER_MS)},
        )
        # Hand every packet to the buffer as soon as the muxer lets it go.
        self._container.flags |= cast(int, av.container.Flags.flush_packets.value)
        extra: dict[str, int] = {}
        if codec in ("vp8", "h264"):
            size = vp8_size(first_frame) if codec == "vp8" else h264_size(first_frame)
            if 0 in size:
                raise RecordingError(f"the first {codec} frame gives no picture size")
            extra["width"], extra["height"] = size
        self._stream: Stream = self._container.add_mux_stream(
            codec_name, rate=48000 if codec == "opus" else None, **extra
        )
        self._stream.time_base = time_base
        self._last_seal = clock()
        self.packets = 0

    @property
    def path(self) -> Path:
        return self._sealed.path

    @property
    def size(self) -> int:
        return self._sealed.size

    def write(self, data: bytes, pts: int, keyframe: bool) -> None:
        packet = av.Packet(data)
        packet.stream = self._stream
        packet.time_base = self._time_base
        packet.pts = packet.dts = pts
        packet.is_keyframe = keyframe
        self._container.mux_one(packet)
        self.packets += 1
        self.seal_if_due()

    def seal_if_due(self) -> None:
        if self._clock() - self._last_seal >= self._seal_every:
            self.seal()

    def seal(self) -> None:
        """Seal what the muxer has written so far (fsync'd)."""
        self._last_seal = self._clock()
        self._sealed.seal(self._buffer.take())

    def close(self) -> int:
        """Finish the container (its last cluster and cues), seal, close."""
        try:
            self._container.close()
        finally:
            self._sealed.seal(self._buffer.take())
            self._sealed.close()
        return self._sealed.size

    def abandon(self) -> None:
        """Stop without finishing (a failure): what was sealed stays readable."""
        with contextlib.suppress(av.FFmpegError, OSError):
            self._container.close()
        self._sealed.abandon()
