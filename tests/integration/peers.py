"""Real test parties: socket.io clients with event queues and aiortc peers."""

from __future__ import annotations

import asyncio
import fractions
from typing import Any

import numpy as np
import socketio
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaBlackhole
from av import VideoFrame

DEADLINE = 20.0


class ColorTrack(MediaStreamTrack):
    """A camera that films one solid colour, 320x240 at about 15 fps."""

    kind = "video"

    def __init__(self, bgr: tuple[int, int, int]) -> None:
        super().__init__()
        self._image = np.zeros((240, 320, 3), np.uint8)
        self._image[:, :] = bgr
        self._pts = 0

    async def recv(self) -> VideoFrame:
        await asyncio.sleep(1 / 15)
        frame = VideoFrame.from_ndarray(self._image, format="bgr24")
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, 90000)
        self._pts += 6000
        return frame


class Party:
    """One socket.io connection whose server events land in per-event queues."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.sio = socketio.AsyncClient(reconnection=False)
        self._queues: dict[str, asyncio.Queue[Any]] = {}
        # Every event in arrival order, for clients that react to several kinds.
        self.stream: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        @self.sio.on("*", namespace=namespace)  # type: ignore[untyped-decorator]
        async def any_event(event: str, data: Any = None) -> None:
            self.queue(event).put_nowait(data)
            self.stream.put_nowait((event, data))

    def queue(self, event: str) -> asyncio.Queue[Any]:
        return self._queues.setdefault(event, asyncio.Queue())

    async def connect(self, url: str, headers: dict[str, str] | None = None) -> None:
        await self.sio.connect(
            url,
            namespaces=[self.namespace],
            headers=headers or {},
            transports=["websocket"],
        )

    async def call(self, event: str, data: Any = None) -> Any:
        return await self.sio.call(
            event, data, namespace=self.namespace, timeout=DEADLINE
        )

    # asyncio.timeout rather than wait_for, which on Python 3.11 eats a cancel
    # that comes in the same turn as the event (dasan/tasks.py).
    async def next(self, event: str, deadline: float = DEADLINE) -> Any:
        async with asyncio.timeout(deadline):
            return await self.queue(event).get()

    async def next_of(
        self, events: tuple[str, ...], deadline: float = DEADLINE
    ) -> tuple[str, Any]:
        """The next of ``events`` in arrival order (others are skipped)."""

        async with asyncio.timeout(deadline):
            while True:
                event, data = await self.stream.get()
                if event in events:
                    return event, data

    async def next_matching(
        self, event: str, key: str, value: Any, deadline: float = DEADLINE
    ) -> Any:
        async with asyncio.timeout(deadline):
            while True:
                data = await self.queue(event).get()
                if data.get(key) == value:
                    return data


class MediaPeer:
    """An aiortc peer that publishes a colour and records what it receives."""

    def __init__(self, bgr: tuple[int, int, int]) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTrack(ColorTrack(bgr))
        self.received: list[tuple[float, float, float]] = []
        self._sink = MediaBlackhole()
        self._reader: asyncio.Task[None] | None = None

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                self._reader = asyncio.create_task(self._read(track))
            else:
                self._sink.addTrack(track)

    async def _read(self, track: MediaStreamTrack) -> None:
        while True:
            frame = await track.recv()
            assert isinstance(frame, VideoFrame)
            image = frame.to_ndarray(format="bgr24")
            b, g, r = (float(image[..., c].mean()) for c in range(3))
            self.received.append((b, g, r))

    async def join(self, party: Party, room_id: str) -> None:
        self.pc.addTransceiver("audio", direction="recvonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await party.call(
            "rtc_offer",
            {"room_id": room_id, "type": "offer", "sdp": self.pc.localDescription.sdp},
        )
        assert answer["ok"], answer
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=answer["sdp"], type="answer")
        )
        await self._sink.start()

    async def frames_like(
        self, bgr: tuple[int, int, int], count: int, deadline: float = DEADLINE
    ) -> None:
        """Wait until ``count`` received frames are close to the colour ``bgr``."""

        def close(seen: tuple[float, float, float]) -> bool:
            return all(abs(s - want) < 40 for s, want in zip(seen, bgr, strict=True))

        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        while sum(close(s) for s in self.received) < count:
            if loop.time() > end:
                last = self.received[-3:]
                raise AssertionError(
                    f"got {len(self.received)} frames, last {last}, wanted {bgr}"
                )
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self._sink.stop()
        await self.pc.close()
