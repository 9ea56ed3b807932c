"""How a publisher's track reaches its subscribers: one small interface, two ways.

``EncodedForwarder`` (the default) forwards the publisher's encoded frames
unchanged. ``RelayForwarder`` is aiortc's ``MediaRelay``: it decodes once and
re-encodes for every subscriber; it stays as the baseline the media benchmark
measures us against.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Any, Protocol

from aiortc import MediaStreamTrack, RTCRtpReceiver
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError
from av.frame import Frame
from av.packet import Packet

from rtc_server import aiortc_seams
from rtc_server.publication import CLOCK_RATES, EncodedPublication
from rtc_server.timestamps import Clock
from rtc_server.tracks import Subscription


class Publication(Protocol):
    party_id: str
    kind: str

    def subscribe(self) -> Subscription: ...

    def close(self) -> None: ...


class Forwarder(Protocol):
    """Turns a received track into a publication subscribers can attach to."""

    name: str
    encoded: bool  # subscribers' keyframe requests go to the publisher

    def publish(
        self, party_id: str, kind: str, codec: str, receiver: RTCRtpReceiver
    ) -> Publication: ...


class EncodedForwarder:
    """Forwards encoded frames: no decoding, no encoding."""

    name = "forwarder"
    encoded = True

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock

    def publish(
        self, party_id: str, kind: str, codec: str, receiver: RTCRtpReceiver
    ) -> EncodedPublication:
        return EncodedPublication(party_id, kind, codec, receiver, clock=self._clock)


class DecodedSubscription:
    """A MediaRelay proxy, read by a task so that ``stop`` ends ``recv`` at once."""

    def __init__(self, publication: DecodedPublication, proxy: MediaStreamTrack):
        self.kind = publication.kind
        self.clock_rate = publication.clock_rate
        self._publication = publication
        self._proxy = proxy
        self._queue: asyncio.Queue[Frame | Packet[Any] | None] = asyncio.Queue(1)
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            while True:
                frame = await self._proxy.recv()
                if self._queue.full():
                    self._queue.get_nowait()  # unbuffered, like the relay itself
                self._queue.put_nowait(frame)
        except MediaStreamError:
            pass
        finally:
            if self._queue.full():
                self._queue.get_nowait()
            self._queue.put_nowait(None)

    async def recv(self) -> Frame | Packet[Any]:
        frame = await self._queue.get()
        if frame is None:
            self._queue.put_nowait(None)
            raise MediaStreamError
        return frame

    def arrival_of(self, item: Frame | Packet[Any]) -> float | None:
        return self._publication.arrival_of(item)

    def request_keyframe(self) -> None:
        """Each subscriber has its own encoder, which aiortc already asks."""

    def stop(self) -> None:
        self._proxy.stop()
        self._reader.cancel()


class DecodedPublication:
    """aiortc's own receiver and decoder, shared through a MediaRelay."""

    def __init__(
        self,
        relay: MediaRelay,
        party_id: str,
        kind: str,
        codec: str,
        receiver: RTCRtpReceiver,
        clock: Clock,
    ) -> None:
        self.party_id = party_id
        self.kind = kind
        self.clock_rate = CLOCK_RATES.get(codec.lower(), 90000)
        self._relay = relay
        self._track = receiver.track
        self._clock = clock
        self._arrivals: OrderedDict[int, float] = OrderedDict()
        self._rtp_timestamp = aiortc_seams.watch_arrivals(receiver, self._on_packet)
        self._subscriptions: list[DecodedSubscription] = []

    def _on_packet(self, timestamp: int) -> None:
        # The frame is received when its last packet is: keep the latest arrival.
        self._arrivals[timestamp] = self._clock()
        self._arrivals.move_to_end(timestamp)
        if len(self._arrivals) > 256:
            self._arrivals.popitem(last=False)

    def arrival_of(self, item: Frame | Packet[Any]) -> float | None:
        if item.pts is None:
            return None
        timestamp = self._rtp_timestamp(item.pts)
        return None if timestamp is None else self._arrivals.get(timestamp)

    def subscribe(self) -> DecodedSubscription:
        subscription = DecodedSubscription(
            self, self._relay.subscribe(self._track, buffered=False)
        )
        self._subscriptions.append(subscription)
        return subscription

    def close(self) -> None:
        for subscription in self._subscriptions:
            subscription.stop()
        self._subscriptions.clear()


class RelayForwarder:
    """Forwarding through aiortc's MediaRelay: decodes once, re-encodes per subscriber.

    Unbuffered, so a subscriber that joins late starts at the newest frame
    instead of replaying a backlog.
    """

    name = "mediarelay"
    encoded = False

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._relay = MediaRelay()
        self._clock = clock

    def publish(
        self, party_id: str, kind: str, codec: str, receiver: RTCRtpReceiver
    ) -> DecodedPublication:
        return DecodedPublication(
            self._relay, party_id, kind, codec, receiver, self._clock
        )
