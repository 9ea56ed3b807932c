"""How a publisher's track reaches a subscriber: one small interface, swappable."""

from __future__ import annotations

from typing import Protocol

from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaRelay


class Forwarder(Protocol):
    """Gives each subscriber its own track fed from one publisher's source."""

    def subscribe(self, source: MediaStreamTrack) -> MediaStreamTrack: ...


class RelayForwarder:
    """Forwarding through aiortc's MediaRelay: decodes once, re-encodes per subscriber.

    Unbuffered, so a subscriber that joins late starts at the newest frame
    instead of replaying a backlog.
    """

    def __init__(self) -> None:
        self._relay = MediaRelay()

    def subscribe(self, source: MediaStreamTrack) -> MediaStreamTrack:
        return self._relay.subscribe(source, buffered=False)
