"""An aiortc party that publishes pre-encoded clips and counts (or keeps) the
encoded frames it receives, without decoding them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)

from benchmarks.encoded_media import EncodedClip, LoopedTrack
from rtc_server import aiortc_seams
from rtc_server.frames import (
    BEGIN_RULES,
    KEYFRAME_RULES,
    AudioAssembler,
    EncodedFrame,
    VideoAssembler,
    never,
)


class Capture:
    """Encoded frames arriving on one receiver: counted, and kept when asked."""

    def __init__(
        self, receiver: RTCRtpReceiver, kind: str, codec: str, keep: bool
    ) -> None:
        self.kind = kind
        self._receiver = receiver
        self._assembler: AudioAssembler | VideoAssembler = (
            VideoAssembler(KEYFRAME_RULES[codec], BEGIN_RULES.get(codec, never))
            if kind == "video"
            else AudioAssembler()
        )
        self.ssrc: int | None = None  # the server sender's, once packets arrive
        self.frames = 0
        self.kept: list[EncodedFrame] | None = [] if keep else None
        self._last_request = 0.0
        self._requests: set[asyncio.Task[None]] = set()
        aiortc_seams.take_packets(receiver, self._on_packet)

    def _on_packet(self, packet: aiortc_seams.ReceivedPacket) -> None:
        now = time.monotonic()
        self.ssrc = packet.ssrc
        for frame in self._assembler.add(
            packet.sequence_number,
            packet.timestamp,
            packet.marker,
            packet.payload,
            packet.data,
            now,
        ):
            self.frames += 1
            if self.kept is not None:
                self.kept.append(frame)
        if self._assembler.need_keyframe and now - self._last_request > 0.25:
            # What a browser's decoder does when it cannot go on: PLI.
            self._assembler.need_keyframe = False
            self._last_request = now
            self.request_keyframe()

    def request_keyframe(self) -> None:
        """Send PLI for this slot's stream, as a browser's decoder would."""
        if self.ssrc is not None:
            task = aiortc_seams.request_keyframe(self._receiver, self.ssrc)
            self._requests.add(task)
            task.add_done_callback(self._requests.discard)


class EncodedPeer:
    """An aiortc party: publishes looped encoded clips, receives into slots.

    Its own audio and video m-lines are sendrecv (the first slot of each kind);
    ``slots - 1`` recvonly m-lines per kind follow. A kind it does not publish
    gets ``slots`` recvonly m-lines. It offers only ``video_codec`` for video.
    """

    def __init__(
        self,
        video: EncodedClip | None,
        audio: EncodedClip | None,
        slots: int = 2,
        keep: bool = False,
        video_codec: str = "video/vp8",
    ) -> None:
        # Max-bundle: aiortc's default leaves a second m-line of a kind on a
        # transport that bundling discards, so it would never receive.
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.tracks: dict[str, LoopedTrack] = {}
        self._captures: list[tuple[RTCRtpTransceiver, Capture]] = []
        codecs = {"audio": "audio/opus", "video": video_codec}
        for kind, clip in (("audio", audio), ("video", video)):
            transceivers: list[RTCRtpTransceiver] = []
            if clip is not None:
                track = LoopedTrack(clip, keep_log=keep)
                self.tracks[kind] = track
                transceiver = self.pc.addTransceiver(track, direction="sendrecv")
                aiortc_seams.on_keyframe_request(transceiver.sender, track.restart)
                transceivers.append(transceiver)
            while len(transceivers) < slots:
                transceivers.append(self.pc.addTransceiver(kind, direction="recvonly"))
            preferred = [
                c
                for c in RTCRtpSender.getCapabilities(kind).codecs
                if c.mimeType.lower() in (codecs[kind], f"{kind}/rtx")
            ]
            for transceiver in transceivers:
                transceiver.setCodecPreferences(preferred)
                capture = Capture(transceiver.receiver, kind, codecs[kind], keep)
                self._captures.append((transceiver, capture))

    def captures(self, kind: str | None = None) -> dict[str, Capture]:
        """Captures by mid (known once the offer is made)."""
        return {
            t.mid: c
            for t, c in self._captures
            if t.mid is not None and (kind is None or c.kind == kind)
        }

    async def join(self, connect: Callable[[str], Awaitable[str]]) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await connect(self.pc.localDescription.sdp)
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=answer, type="answer")
        )

    async def close(self) -> None:
        await asyncio.wait_for(self.pc.close(), 10)
