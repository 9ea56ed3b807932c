"""A publisher's video decoded for analysis (the sign-language quality checks).

Forwarding never decodes. When something must look at the pictures, a
``DecodedVideo`` taps the publisher's encoded frames and decodes them in its own
thread, only while it is open: video frames depend on the ones before, so every
frame is decoded, but ``recv`` hands out only the newest picture and a slow
reader never builds a backlog.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame
from av.frame import Frame
from av.packet import Packet
from av.video.codeccontext import VideoCodecContext

log = logging.getLogger(__name__)

DECODERS = {"video/vp8": "libvpx", "video/h264": "h264"}


class DecodedVideo(MediaStreamTrack):
    """The newest decoded picture of a tapped video; ``stop`` ends the decoding."""

    kind = "video"

    def __init__(self, tap: MediaStreamTrack, codec: Callable[[], str | None]) -> None:
        super().__init__()
        self._tap = tap
        self._codec = codec  # the room's video codec, known once someone connects
        self._decoder: VideoCodecContext | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="decoded-video")
        self._latest: VideoFrame | None = None
        self._fresh = asyncio.Event()
        self.decoded = 0
        self._task = asyncio.ensure_future(self._run())

    def _decode(self, packet: Packet[Any]) -> list[VideoFrame]:
        if self._decoder is None:
            codec = self._codec()
            if codec not in DECODERS:
                log.warning("cannot decode %s", codec)
                return []
            self._decoder = cast(
                VideoCodecContext, av.CodecContext.create(DECODERS[codec], "r")
            )
        try:
            return [
                f for f in self._decoder.decode(packet) if isinstance(f, VideoFrame)
            ]
        except av.FFmpegError as exc:
            log.warning("a video frame could not be decoded: %s", exc)
            return []

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                item: Frame | Packet[Any] = await self._tap.recv()
                if isinstance(item, VideoFrame):  # the MediaRelay path decodes already
                    frames = [item]
                elif isinstance(item, Packet):
                    frames = await loop.run_in_executor(
                        self._thread, self._decode, item
                    )
                else:
                    continue
                if frames:
                    self.decoded += len(frames)
                    self._latest = frames[-1]
                    self._fresh.set()
        except MediaStreamError:
            pass
        finally:
            self._fresh.set()

    async def recv(self) -> VideoFrame:
        while self._latest is None:
            if self.readyState != "live" or self._task.done():
                raise MediaStreamError
            self._fresh.clear()
            await self._fresh.wait()
        frame, self._latest = self._latest, None
        return frame

    def stop(self) -> None:
        super().stop()
        self._tap.stop()
        self._task.cancel()
        self._thread.shutdown(wait=False, cancel_futures=True)
        self._fresh.set()
