"""A track whose source can be attached after the peer connection is negotiated."""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av.frame import Frame
from av.packet import Packet


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

    @property
    def has_source(self) -> bool:
        return self._source is not None

    def attach(self, source: MediaStreamTrack) -> None:
        if source.kind != self.kind:
            raise ValueError(f"cannot feed a {self.kind} track from {source.kind}")
        previous, self._source = self._source, source
        if previous is not None and previous is not source:
            previous.stop()
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
                return await source.recv()
            except MediaStreamError:
                if self._source is source:
                    self._source = None

    def stop(self) -> None:
        self.detach()
        super().stop()
        self._changed.set()
