"""A track whose source can be attached after the peer connection is negotiated."""

from __future__ import annotations

import asyncio
import time
from fractions import Fraction
from typing import Any

from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, VideoFrame
from av.frame import Frame
from av.packet import Packet


def shift_frame(frame: Frame, pts: int) -> Frame:
    """A copy of ``frame`` stamped ``pts``; the relay shares frames between
    subscribers, so the original is never changed."""
    copy: AudioFrame | VideoFrame
    if isinstance(frame, VideoFrame):
        copy = VideoFrame.from_ndarray(frame.to_ndarray(format="yuv420p"), "yuv420p")
    elif isinstance(frame, AudioFrame):
        copy = AudioFrame.from_ndarray(
            frame.to_ndarray(), format=frame.format.name, layout=frame.layout.name
        )
        copy.sample_rate = frame.sample_rate
    else:
        raise TypeError(f"cannot restamp {type(frame).__name__}")
    copy.pts = pts
    copy.time_base = frame.time_base
    return copy


class Timeline:
    """Keeps one subscriber's timestamps rising when its source changes.

    Frames pass untouched until the first switch. After one, each frame is moved
    so the new source continues just after the last frame sent, by the real time
    that passed in between; the encoders refuse timestamps that go back.
    """

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._last: tuple[int, Fraction, float] | None = None
        self._offset: Fraction = Fraction(0)
        self._switched = False

    def switch(self) -> None:
        self._switched = True

    def stamp(self, frame: Frame) -> Frame:
        if frame.pts is None or frame.time_base is None:
            return frame
        base = Fraction(frame.time_base)
        now = self._clock()
        if self._switched and self._last is not None:
            last_pts, last_base, last_at = self._last
            gap = max(Fraction(now - last_at).limit_denominator(1_000_000), base)
            self._offset = last_pts * last_base + gap - frame.pts * base
        self._switched = False
        seconds = frame.pts * base + self._offset
        pts = round(seconds / base)
        if self._last is not None:
            last_pts, last_base, _ = self._last
            pts = max(pts, int(last_pts * last_base / base) + 1)
        if pts != frame.pts:
            frame = shift_frame(frame, pts)
        self._last = (pts, base, now)
        return frame


class ForwardedTrack(MediaStreamTrack):
    """What a subscriber's peer connection sends: frames pulled from a source.

    Until a source is attached (the other party has not published yet) ``recv``
    waits; when the source ends it waits for the next one, so the subscriber's
    sender survives a publisher reconnecting. ``stop`` ends it for good.
    """

    def __init__(self, kind: str) -> None:
        if kind not in ("audio", "video"):
            raise ValueError(f"not a media kind: {kind!r}")
        super().__init__()
        self.kind = kind
        self._source: MediaStreamTrack | None = None
        self._changed = asyncio.Event()
        self._timeline = Timeline()

    @property
    def has_source(self) -> bool:
        return self._source is not None

    def attach(self, source: MediaStreamTrack) -> None:
        if source.kind != self.kind:
            raise ValueError(f"cannot feed a {self.kind} track from {source.kind}")
        previous, self._source = self._source, source
        if previous is not None and previous is not source:
            previous.stop()
        self._timeline.switch()
        self._changed.set()

    def detach(self) -> None:
        if self._source is not None:
            self._source.stop()
            self._source = None
            self._changed.set()

    async def recv(self) -> Frame | Packet[Any]:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            source = self._source
            if source is None:
                self._changed.clear()
                await self._changed.wait()
                continue
            try:
                frame = await source.recv()
            except MediaStreamError:
                if self._source is source:
                    self._source = None
                continue
            return self._timeline.stamp(frame) if isinstance(frame, Frame) else frame

    def stop(self) -> None:
        self.detach()
        super().stop()
        self._changed.set()
