"""A media room: each participant's one peer connection, fed the other party's media."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)

from rtc_server.errors import NegotiationFailed, NotAParticipant
from rtc_server.forwarding import Forwarder
from rtc_server.tracks import ForwardedTrack

log = logging.getLogger(__name__)

KINDS = ("audio", "video")


@dataclass(slots=True)
class Participant:
    party_id: str
    pc: RTCPeerConnection | None = None
    published: dict[str, MediaStreamTrack] = field(default_factory=dict)
    outgoing: dict[str, ForwardedTrack] = field(default_factory=dict)


class MediaRoom:
    """Two parties; each receives what the other publishes, through a forwarder."""

    def __init__(
        self,
        room_id: str,
        parties: tuple[str, str],
        forwarder: Forwarder,
        configuration: Callable[[], RTCConfiguration],
    ) -> None:
        if parties[0] == parties[1]:
            raise ValueError("a room needs two different parties")
        self.room_id = room_id
        self._forwarder = forwarder
        self._configuration = configuration
        self._participants = {p: Participant(p) for p in parties}
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def parties(self) -> tuple[str, ...]:
        return tuple(self._participants)

    def connection_state(self, party_id: str) -> str:
        pc = self._require(party_id).pc
        return "new" if pc is None else pc.connectionState

    def _require(self, party_id: str) -> Participant:
        participant = self._participants.get(party_id)
        if participant is None:
            raise NotAParticipant(self.room_id, party_id)
        return participant

    def _other(self, party_id: str) -> Participant:
        return next(p for k, p in self._participants.items() if k != party_id)

    async def connect(self, party_id: str, offer_sdp: str) -> str:
        """Answer a participant's offer; a second offer replaces their connection."""
        async with self._lock:
            if self._closed:
                raise NotAParticipant(self.room_id, party_id)
            me = self._require(party_id)
            await self._disconnect(me)
            pc = RTCPeerConnection(self._configuration())
            me.pc = pc
            other = self._other(party_id)

            @pc.on("track")
            def on_track(track: MediaStreamTrack) -> None:
                me.published[track.kind] = track
                subscriber = other.outgoing.get(track.kind)
                if subscriber is not None:
                    subscriber.attach(self._forwarder.subscribe(track))

            try:
                await pc.setRemoteDescription(
                    RTCSessionDescription(sdp=offer_sdp, type="offer")
                )
                for transceiver in pc.getTransceivers():
                    kind = transceiver.kind
                    if kind not in KINDS or kind in me.outgoing:
                        continue
                    outgoing = ForwardedTrack(kind)
                    me.outgoing[kind] = outgoing
                    pc.addTrack(outgoing)
                    source = other.published.get(kind)
                    if source is not None:
                        outgoing.attach(self._forwarder.subscribe(source))
                answer = await pc.createAnswer()
                await pc.setLocalDescription(answer)
            except Exception as exc:  # aiortc raises ValueError and others on bad SDP
                await self._disconnect(me)
                raise NegotiationFailed(type(exc).__name__) from exc
            log.info("room %s: party connected", self.room_id)
            return pc.localDescription.sdp

    async def _disconnect(self, participant: Participant) -> None:
        for outgoing in participant.outgoing.values():
            outgoing.stop()
        participant.outgoing.clear()
        for track in participant.published.values():
            track.stop()
        participant.published.clear()
        pc, participant.pc = participant.pc, None
        if pc is not None:
            await pc.close()

    async def close(self) -> None:
        async with self._lock:
            self._closed = True
            for participant in self._participants.values():
                await self._disconnect(participant)
