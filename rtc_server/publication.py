"""A publisher's track as the server receives it: encoded frames, fanned out.

The receiver's packets go straight to a frame assembler (``aiortc_seams``);
each complete frame is handed to every subscription as it is, never decoded.
A video subscription starts at a keyframe: a new subscriber, a subscriber's
PLI/FIR or a loss the assembler cannot repair asks the publisher for one (PLI).
Requests are spaced by ``keyframe_interval`` and, while one is outstanding, not
repeated for ``keyframe_retry``: on a congested link every keyframe is a burst,
and a storm of them makes the losses that caused it worse. Subscribers' NACKs
are answered by their own aiortc sender from its retransmission history.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from fractions import Fraction
from typing import Any

from aiortc import RTCRtpReceiver
from aiortc.mediastreams import MediaStreamError
from av.packet import Packet

from rtc_server import aiortc_seams
from rtc_server.frames import (
    BEGIN_RULES,
    KEYFRAME_RULES,
    AudioAssembler,
    EncodedFrame,
    VideoAssembler,
    never,
)
from rtc_server.timestamps import Clock

log = logging.getLogger(__name__)

CLOCK_RATES = {
    "audio/opus": 48000,
    "audio/g722": 8000,
    "audio/pcmu": 8000,
    "audio/pcma": 8000,
    "video/vp8": 90000,
    "video/h264": 90000,
}
VIDEO_QUEUE_LIMIT = 10  # frames a slow subscriber may lag before it skips ahead
AUDIO_QUEUE_LIMIT = 25


class EncodedSubscription:
    """One subscriber's queue of a publication's frames; ``recv`` gives packets."""

    def __init__(self, publication: EncodedPublication) -> None:
        self.kind = publication.kind
        self.clock_rate = publication.clock_rate
        self._publication: EncodedPublication | None = publication
        self._time_base = Fraction(1, publication.clock_rate)
        self._queue: deque[EncodedFrame] = deque()
        self._ready = asyncio.Event()
        self._waiting_keyframe = publication.kind == "video"
        self._limit = VIDEO_QUEUE_LIMIT if self._waiting_keyframe else AUDIO_QUEUE_LIMIT
        self._last_arrival: float | None = None
        self.dropped = 0

    @property
    def waiting_keyframe(self) -> bool:
        return self._waiting_keyframe

    def deliver(self, frame: EncodedFrame) -> None:
        """Called by the publication for each frame, in order."""
        if self._waiting_keyframe:
            if not frame.keyframe:
                self.dropped += 1
                self.request_keyframe()
                return
            self._waiting_keyframe = False
        queue = self._queue
        if len(queue) >= self._limit:
            # The subscriber's sender is not keeping up: skip ahead.
            self.dropped += len(queue)
            queue.clear()
            if self.kind == "video" and not frame.keyframe:
                self._waiting_keyframe = True
                self.dropped += 1
                self.request_keyframe()
                return
        queue.append(frame)
        self._ready.set()

    async def recv(self) -> Packet[Any]:
        queue = self._queue
        while not queue:
            if self._publication is None:
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        frame = queue.popleft()
        self._last_arrival = frame.arrived_at
        packet: Packet[Any] = Packet(frame.data)
        packet.pts = frame.timestamp
        packet.time_base = self._time_base
        packet.is_keyframe = frame.keyframe
        return packet

    def arrival_of(self, item: object) -> float | None:
        return self._last_arrival

    def request_keyframe(self) -> None:
        if self._publication is not None:
            self._publication.request_keyframe()

    def stop(self) -> None:
        publication, self._publication = self._publication, None
        if publication is not None:
            publication.unsubscribe(self)
        self._queue.clear()
        self._ready.set()


class EncodedPublication:
    """One published track of one party, forwarded without decoding."""

    def __init__(
        self,
        party_id: str,
        kind: str,
        codec: str,
        receiver: RTCRtpReceiver,
        keyframe_interval: float = 0.3,
        keyframe_retry: float = 0.6,
        clock: Clock = time.monotonic,
    ) -> None:
        mime = codec.lower()
        if mime not in CLOCK_RATES or not mime.startswith(kind + "/"):
            raise ValueError(f"cannot forward {codec} as {kind}")
        self.party_id = party_id
        self.kind = kind
        self.codec = mime
        self.clock_rate = CLOCK_RATES[mime]
        self._receiver = receiver
        self._clock = clock
        self._keyframe_interval = keyframe_interval
        self._keyframe_retry = keyframe_retry
        self._awaiting_keyframe = False
        self._assembler: AudioAssembler | VideoAssembler = (
            VideoAssembler(KEYFRAME_RULES[mime], BEGIN_RULES.get(mime, never))
            if kind == "video"
            else AudioAssembler()
        )
        self._subscriptions: list[EncodedSubscription] = []
        self._ssrc: int | None = None
        self._last_request = -keyframe_interval
        self._requests: set[asyncio.Task[None]] = set()
        self.frames_received = 0
        self.keyframe_requests = 0
        self.closed = False
        aiortc_seams.take_packets(receiver, self._on_packet)

    def _on_packet(self, packet: aiortc_seams.ReceivedPacket) -> None:
        self._ssrc = packet.ssrc
        assembler = self._assembler
        frames = assembler.add(
            packet.sequence_number,
            packet.timestamp,
            packet.marker,
            packet.payload,
            packet.data,
            self._clock(),
        )
        for frame in frames:
            self.frames_received += 1
            if frame.keyframe:
                self._awaiting_keyframe = False
            for subscription in self._subscriptions:
                subscription.deliver(frame)
        if assembler.need_keyframe:
            assembler.need_keyframe = False
            self.request_keyframe()

    def subscribe(self) -> EncodedSubscription:
        if self.closed:
            raise RuntimeError("this publication has ended")
        subscription = EncodedSubscription(self)
        self._subscriptions.append(subscription)
        if self.kind == "video":
            self.request_keyframe()
        return subscription

    def unsubscribe(self, subscription: EncodedSubscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    def request_keyframe(self) -> None:
        """Send PLI to the publisher, unless one went out recently."""
        if self.kind != "video" or self._ssrc is None or self.closed:
            return
        now = self._clock()
        since = now - self._last_request
        if since < self._keyframe_interval or (
            self._awaiting_keyframe and since < self._keyframe_retry
        ):
            return
        self._last_request = now
        self._awaiting_keyframe = True
        self.keyframe_requests += 1
        task = aiortc_seams.request_keyframe(self._receiver, self._ssrc)
        self._requests.add(task)
        task.add_done_callback(self._requests.discard)

    def close(self) -> None:
        self.closed = True
        for subscription in list(self._subscriptions):
            subscription.stop()
        for task in self._requests:
            task.cancel()
