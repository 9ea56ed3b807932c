"""One subscriber's timestamps keep rising when the publisher behind them changes.

``TimestampRewriter`` does it for encoded frames (RTP clock units);
``Timeline`` for decoded frames (the MediaRelay path, whose encoders refuse
timestamps that go back). Sequence numbers need no rewriting: each subscriber
slot keeps one aiortc sender for its whole life, and the sender numbers its
packets one after another whatever feeds it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from fractions import Fraction

from av import AudioFrame, VideoFrame
from av.frame import Frame

Clock = Callable[[], float]


class TimestampRewriter:
    """Maps each source's timestamps onto one continuous outgoing timeline.

    The first frame goes out at 0. Within one source the spacing is kept exactly.
    After ``switch`` the new source's first frame goes out just after the last
    one sent, by the wall time that passed in between, so the subscriber's
    jitter buffer sees time flow as it really did.
    """

    __slots__ = ("_clock", "_last", "_last_at", "_offset", "_rate", "_switched")

    def __init__(self, clock_rate: int, clock: Clock = time.monotonic) -> None:
        if clock_rate <= 0:
            raise ValueError(f"clock rate must be positive, not {clock_rate}")
        self._rate = clock_rate
        self._clock = clock
        self._offset: int | None = None
        self._last = 0
        self._last_at = 0.0
        self._switched = False

    @property
    def clock_rate(self) -> int:
        return self._rate

    def switch(self) -> None:
        """The next timestamp comes from a new source."""
        self._switched = True

    def rewrite(self, timestamp: int) -> int:
        now = self._clock()
        if self._offset is None:
            self._offset = -timestamp
            out = 0
        else:
            if self._switched:
                gap = max(1, round((now - self._last_at) * self._rate))
                self._offset = self._last + gap - timestamp
            out = max(timestamp + self._offset, self._last + 1)  # never back or twice
        self._switched = False
        self._last, self._last_at = out, now
        return out


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
    """Keeps one subscriber's decoded-frame timestamps rising when its source changes.

    Frames pass untouched until the first switch. After one, each frame is moved
    so the new source continues just after the last frame sent, by the real time
    that passed in between; the encoders refuse timestamps that go back.
    """

    def __init__(self, clock: Clock = time.monotonic) -> None:
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
