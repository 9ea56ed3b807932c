"""A whole session as one video: the parties side by side, the interpreter pinned
(larger), every party's audio mixed into one track, VP8 and Opus in WebM.

Blocking and CPU-heavy: run it in a worker thread. The track files are read
through ``open_recording`` and the result is sealed with the same key as it is
written, so no plaintext reaches the disk.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import cv2
import numpy as np
import numpy.typing as npt
from av.container import InputContainer

from recording.errors import RecordingError
from recording.keys import RecordingKey
from recording.playback import open_recording
from recording.sealed import SealedWriter

RATE = 48000
BLOCK = 960  # 20 ms of audio: one Opus frame
PINNED = "interpreter"
HOLD_S = 0.5  # a party's last picture stays this long after their video ends
SEAL_BYTES = 256 * 1024

Image = npt.NDArray[np.uint8]
Samples = npt.NDArray[np.float32]


class CompositeStopped(RecordingError):
    """The composite was stopped before it was finished (a shutdown)."""

    code = "composite_stopped"


@dataclass(frozen=True, slots=True)
class Track:
    """One track file of the session; ``offset``: seconds from the session start."""

    path: Path
    kind: str  # audio or video
    role: str  # the party's role; the interpreter's video is pinned
    party: str  # groups one party's files into one tile
    offset: float


@dataclass(frozen=True, slots=True)
class Layout:
    width: int = 960
    height: int = 540
    fps: int = 15
    video_bit_rate: int = 1_000_000
    audio_bit_rate: int = 64_000

    def __post_init__(self) -> None:
        if self.width % 2 or self.height % 2 or self.width < 64 or self.height < 64:
            raise ValueError("width and height are even, at least 64")
        if not 1 <= self.fps <= 60:
            raise ValueError("fps is 1-60")


@dataclass(frozen=True, slots=True)
class Composite:
    size: int  # bytes of the sealed file
    duration: float  # seconds
    width: int
    height: int


Box = tuple[int, int, int, int]  # x, y, width, height


def tiles(layout: Layout, count: int) -> list[Box]:
    """Where each party goes: the first (pinned) on the left two thirds, the
    others stacked in the right third; one party fills the picture."""
    w, h = layout.width, layout.height
    if count <= 1:
        return [(0, 0, w, h)][:count]
    main = (w * 2 // 3) & ~1
    side = w - main
    each = h // (count - 1)
    boxes = [(0, 0, main, h)]
    for index in range(count - 1):
        boxes.append((main, index * each, side, each))
    return boxes


def fit(image: Image, box: Box, canvas: Image) -> None:
    """Draw ``image`` into ``box`` of ``canvas``, scaled to fit, centred."""
    x, y, w, h = box
    ih, iw = image.shape[:2]
    scale = min(w / iw, h / ih)
    nw, nh = max(1, int(iw * scale)), max(1, int(ih * scale))
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
    ox, oy = x + (w - nw) // 2, y + (h - nh) // 2
    canvas[oy : oy + nh, ox : ox + nw] = resized


def _open(track: Track, key: RecordingKey) -> tuple[io.BufferedReader, InputContainer]:
    plain = open_recording(track.path, key)
    try:
        container = av.open(plain, "r")
    except BaseException:
        plain.close()
        raise
    assert isinstance(container, InputContainer)
    return plain, container


def _frames(
    track: Track, key: RecordingKey, stop: threading.Event
) -> Iterator[tuple[float, av.VideoFrame | av.AudioFrame]]:
    """Decoded frames of one file with their time in the session; a damaged
    tail (a recovered file) ends the file."""
    plain, container = _open(track, key)
    try:
        stream = container.streams[0]
        with contextlib.suppress(av.FFmpegError):
            for frame in container.decode(stream):
                if stop.is_set():
                    raise CompositeStopped("stopped")
                assert isinstance(frame, av.VideoFrame | av.AudioFrame)
                yield track.offset + (frame.time or 0.0), frame
    finally:
        container.close()
        plain.close()


class PartyVideo:
    """One party's pictures over the session (their files one after another)."""

    def __init__(
        self, tracks: Sequence[Track], key: RecordingKey, stop: threading.Event
    ):
        ordered = sorted(tracks, key=lambda t: t.offset)
        self._frames = (item for t in ordered for item in _frames(t, key, stop))
        self._next: tuple[float, av.VideoFrame | av.AudioFrame] | None = None
        self._current: Image | None = None
        self._current_at = 0.0
        self.done = False
        self._advance()

    def _advance(self) -> None:
        self._next = next(self._frames, None)
        if self._next is None:
            self.done = True

    def at(self, t: float) -> Image | None:
        """The picture at session time ``t`` (None before the first one and a
        little after the last one)."""
        while self._next is not None and self._next[0] <= t:
            at, frame = self._next
            assert isinstance(frame, av.VideoFrame)
            picture = cast(Image, frame.to_ndarray(format="bgr24"))
            self._current, self._current_at = picture, at
            self._advance()
        if self.done and t - self._current_at > HOLD_S:
            return None
        return self._current


class Mixer:
    """Every audio file decoded to 48 kHz mono and summed, a block at a time."""

    def __init__(
        self, tracks: Sequence[Track], key: RecordingKey, stop: threading.Event
    ):
        self._sources = [self._source(t, key, stop) for t in tracks]
        self._pending: list[list[tuple[int, Samples]]] = [[] for _ in tracks]
        self._ended = [False] * len(tracks)

    @staticmethod
    def _source(
        track: Track, key: RecordingKey, stop: threading.Event
    ) -> Iterator[tuple[int, Samples]]:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        position: int | None = None
        for at, frame in _frames(track, key, stop):
            assert isinstance(frame, av.AudioFrame)
            frame.pts = None  # placed by its time here, not by the resampler
            for out in resampler.resample(frame):
                samples = out.to_ndarray().reshape(-1).astype(np.float32)
                start = round(at * RATE)
                # Contiguous unless the file has a real gap (lost packets).
                if position is not None and abs(start - position) < BLOCK:
                    start = position
                position = start + len(samples)
                yield start, samples

    @property
    def done(self) -> bool:
        return all(self._ended) and not any(self._pending)

    def block(self, start: int, count: int = BLOCK) -> Samples:
        out = np.zeros(count, dtype=np.float32)
        end = start + count
        for index, source in enumerate(self._sources):
            pending = self._pending[index]
            while not self._ended[index] and (
                not pending or pending[-1][0] + len(pending[-1][1]) < end
            ):
                item = next(source, None)
                if item is None:
                    self._ended[index] = True
                else:
                    pending.append(item)
            kept = []
            for at, samples in pending:
                lo, hi = max(at, start), min(at + len(samples), end)
                if lo < hi:
                    out[lo - start : hi - start] += samples[lo - at : hi - at]
                if at + len(samples) > end:
                    kept.append((at, samples))
            self._pending[index] = kept
        return out


class _SealedSink:
    """The muxer's output: sealed in chunks as it comes, never written plain."""

    def __init__(self, writer: SealedWriter) -> None:
        self._writer = writer
        self._data = bytearray()

    def write(self, data: bytes) -> int:
        self._data += data
        if len(self._data) >= SEAL_BYTES:
            self.flush()
        return len(data)

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        if self._data:
            self._writer.seal(bytes(self._data))
            self._data.clear()


def _party_order(tracks: Sequence[Track]) -> list[str]:
    """The parties with video, the interpreter's first, then by who came first."""
    first: dict[str, tuple[int, float]] = {}
    for track in tracks:
        if track.kind != "video":
            continue
        rank = (0 if track.role == PINNED else 1, track.offset)
        first[track.party] = min(first.get(track.party, rank), rank)
    return sorted(first, key=lambda party: first[party])


def compose(
    tracks: Sequence[Track],
    key: RecordingKey,
    output: Path,
    layout: Layout = Layout(),
    stop: threading.Event | None = None,
) -> Composite:
    """Write the session's composite to ``output`` (a new sealed file)."""
    stop = stop or threading.Event()
    if not tracks:
        raise RecordingError("a composite needs at least one track")
    parties = _party_order(tracks)
    boxes = tiles(layout, len(parties))
    videos = [
        PartyVideo([t for t in tracks if t.kind == "video" and t.party == p], key, stop)
        for p in parties
    ]
    mixer = Mixer([t for t in tracks if t.kind == "audio"], key, stop)
    writer = SealedWriter(output, key)
    try:
        duration = _encode(videos, boxes, mixer, layout, writer, stop)
        writer.close()
    except BaseException:
        writer.abandon()
        output.unlink(missing_ok=True)
        raise
    return Composite(writer.size, duration, layout.width, layout.height)


def _encode(
    videos: list[PartyVideo],
    boxes: list[Box],
    mixer: Mixer,
    layout: Layout,
    writer: SealedWriter,
    stop: threading.Event,
) -> float:
    sink = _SealedSink(writer)
    container = av.open(sink, "w", format="webm", options={"live": "1"})
    video = container.add_stream("libvpx", rate=layout.fps)
    video.width, video.height, video.pix_fmt = layout.width, layout.height, "yuv420p"
    video.bit_rate = layout.video_bit_rate
    video.codec_context.options = {
        "deadline": "realtime",
        "cpu-used": "8",
        "lag-in-frames": "0",
    }
    audio = container.add_stream("libopus", rate=RATE)
    audio.layout, audio.format = "mono", "s16"
    audio.bit_rate = layout.audio_bit_rate
    index = samples = 0
    try:
        while not (all(v.done for v in videos) and mixer.done) or index == 0:
            if stop.is_set():
                raise CompositeStopped("stopped")
            t = index / layout.fps
            canvas = np.zeros((layout.height, layout.width, 3), dtype=np.uint8)
            for party, box in zip(videos, boxes, strict=True):
                picture = party.at(t)
                if picture is not None:
                    fit(picture, box, canvas)
            frame = av.VideoFrame.from_ndarray(canvas, format="bgr24").reformat(
                format="yuv420p"
            )
            frame.pts = index
            container.mux(video.encode(frame))
            index += 1
            until = round(index / layout.fps * RATE)
            while samples < until:
                mixed = np.clip(mixer.block(samples) * 32767, -32768, 32767)
                block = av.AudioFrame.from_ndarray(
                    mixed.astype(np.int16).reshape(1, -1), format="s16", layout="mono"
                )
                block.sample_rate, block.pts = RATE, samples
                block.time_base = Fraction(1, RATE)
                container.mux(audio.encode(block))
                samples += BLOCK
        container.mux(video.encode(None))
        container.mux(audio.encode(None))
    finally:
        container.close()
        sink.flush()
    return index / layout.fps
