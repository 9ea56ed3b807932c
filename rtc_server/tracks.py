"""What a subscriber slot sends: one track fed by whichever publisher holds the slot.

A ``ForwardedTrack`` is given to a subscriber's aiortc sender once and stays
for the life of that peer connection; publishers come and go behind it
(``attach``/``detach``) while its timestamps keep rising and its sender keeps
numbering packets one after another. Read directly, without a sender, it is a
tap on a publisher's encoded frames (``av.Packet`` with ``pts``, ``time_base``
and ``is_keyframe``) for recording.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av.frame import Frame
from av.packet import Packet

from rtc_server.timestamps import Clock, Timeline, TimestampRewriter

KINDS = ("audio", "video")


class Subscription(Protocol):
    """One subscriber's feed from one publication."""

    kind: str
    clock_rate: int

    async def recv(self) -> Frame | Packet[Any]:
        """The next frame; raises ``MediaStreamError`` once stopped."""

    def arrival_of(self, item: Frame | Packet[Any]) -> float | None:
        """When the server received ``item`` (just returned by ``recv``)."""

    def request_keyframe(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class DeliveryStats:
    """What one subscriber received from one publisher over the recent window."""

    fps: float
    frames: int
    added_latency_ms: tuple[float, ...]  # receipt at the server to sent, per frame


class DeliveryMeter:
    """Frames handed to a subscriber, and how long each spent in the server."""

    def __init__(self, window: float, clock: Clock = time.monotonic) -> None:
        if window <= 0:
            raise ValueError("the window must be positive")
        self._window = window
        self._clock = clock
        self._since = clock()
        self._frames: deque[float] = deque()
        self._latency: deque[tuple[float, float]] = deque()

    def restart(self) -> None:
        self._since = self._clock()
        self._frames.clear()
        self._latency.clear()

    def frame(self, at: float) -> None:
        self._frames.append(at)
        self._trim(self._frames, at)

    def latency(self, at: float, seconds: float) -> None:
        self._latency.append((at, seconds))
        while self._latency and self._latency[0][0] < at - self._window:
            self._latency.popleft()

    def _trim(self, times: deque[float], now: float) -> None:
        while times and times[0] < now - self._window:
            times.popleft()

    def stats(self) -> DeliveryStats:
        now = self._clock()
        self._trim(self._frames, now)
        span = min(self._window, now - self._since)
        count = len(self._frames)
        return DeliveryStats(
            fps=round(count / span, 2) if span > 0 else 0.0,
            frames=count,
            added_latency_ms=tuple(
                round(1000 * s, 3)
                for at, s in self._latency
                if at >= now - self._window
            ),
        )


class ForwardedTrack(MediaStreamTrack):
    """A subscriber slot's track: frames of the attached publisher, restamped.

    Until a source is attached ``recv`` waits; when the source stops it waits
    for the next one. ``stop`` ends it for good.
    """

    def __init__(
        self, kind: str, stats_window: float = 5.0, clock: Clock = time.monotonic
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"not a media kind: {kind!r}")
        super().__init__()
        self.kind = kind
        self._clock = clock
        self._source: Subscription | None = None
        self.publisher: str | None = None  # party id behind the current source
        self._changed = asyncio.Event()
        self._rewriter: TimestampRewriter | None = None
        self._timeline = Timeline(clock)
        self._sent_arrival: float | None = None
        self.meter = DeliveryMeter(stats_window, clock)

    @property
    def has_source(self) -> bool:
        return self._source is not None

    def attach(self, source: Subscription, publisher: str) -> None:
        if source.kind != self.kind:
            raise ValueError(f"cannot feed a {self.kind} track from {source.kind}")
        previous, self._source = self._source, source
        if previous is not None and previous is not source:
            previous.stop()
        if self.publisher != publisher:
            self.meter.restart()
        self.publisher = publisher
        if self._rewriter is not None:
            self._rewriter.switch()
        self._timeline.switch()
        self._sent_arrival = None
        self._changed.set()

    def detach(self) -> None:
        source, self._source = self._source, None
        self.publisher = None
        if source is not None:
            source.stop()
        self._changed.set()

    def request_keyframe(self) -> None:
        """The subscriber lost a picture (PLI/FIR): ask the publisher for one."""
        if self._source is not None:
            self._source.request_keyframe()

    async def recv(self) -> Frame | Packet[Any]:
        now = self._clock()
        if self._sent_arrival is not None:
            # The sender asks for the next frame once the last one is sent.
            self.meter.latency(now, now - self._sent_arrival)
            self._sent_arrival = None
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            source = self._source
            if source is None:
                self._changed.clear()
                await self._changed.wait()
                continue
            try:
                item = await source.recv()
            except MediaStreamError:
                if self._source is source:
                    self._source = None
                continue
            if self._source is source:
                break
        self._sent_arrival = source.arrival_of(item)
        if isinstance(item, Packet):
            if self._rewriter is None:
                self._rewriter = TimestampRewriter(source.clock_rate, self._clock)
            item.pts = self._rewriter.rewrite(item.pts or 0)
        else:
            item = self._timeline.stamp(item)
        self.meter.frame(self._clock())
        return item

    def stop(self) -> None:
        self.detach()
        super().stop()
        self._changed.set()
