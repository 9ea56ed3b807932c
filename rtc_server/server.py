"""The media server: rooms by id, opened by signaling and closed when a session ends.

``open_room(room_id, (citizen, staff))`` and ``connect`` are the two-party API
signaling has always used; ``add_party``, ``remove_party``, ``replace_party``
and ``roster`` grow a room to five parties and transfer an interpreter.
``stats`` reports the frame rate each subscriber receives from each publisher;
``tap`` gives a publisher's encoded frames to a consumer that is not a peer
connection (recording), and ``decoded_video`` their pictures for analysis.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer

from rtc_server import aiortc_seams
from rtc_server.decoding import DecodedVideo
from rtc_server.errors import UnknownRoom
from rtc_server.forwarding import EncodedForwarder, Forwarder
from rtc_server.quality import QualityMonitor, QualityReport
from rtc_server.room import MediaRoom, Roster
from rtc_server.tracks import DeliveryStats, ForwardedTrack


class MediaServer:
    """Owns every media room of this process."""

    def __init__(
        self,
        ice_servers: Sequence[str] = (),
        forwarder_factory: Callable[[], Forwarder] = EncodedForwarder,
        stats_window: float = 5.0,
    ) -> None:
        aiortc_seams.check()
        self._ice_servers = tuple(ice_servers)
        self._forwarder_factory = forwarder_factory
        self._stats_window = stats_window
        self._rooms: dict[str, MediaRoom] = {}
        self._monitors: dict[str, list[tuple[QualityMonitor, DecodedVideo]]] = {}

    def _configuration(self) -> RTCConfiguration:
        # An explicit empty list: aiortc would otherwise add a public STUN server.
        # Max-bundle: with aiortc's default (balanced) a second transceiver of
        # one kind made before the offer is applied stays on a transport that
        # bundling then discards, and its slot never sends.
        return RTCConfiguration(
            iceServers=[RTCIceServer(urls=url) for url in self._ice_servers],
            bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
        )

    @property
    def room_count(self) -> int:
        return len(self._rooms)

    def _room(self, room_id: str) -> MediaRoom:
        room = self._rooms.get(room_id)
        if room is None:
            raise UnknownRoom(room_id)
        return room

    def open_room(self, room_id: str, parties: Iterable[str]) -> None:
        """Open a room whose ``parties`` all publish (the two-party call)."""
        if room_id in self._rooms:
            raise ValueError(f"room {room_id} is already open")
        self._rooms[room_id] = MediaRoom(
            room_id,
            parties,
            self._forwarder_factory(),
            self._configuration,
            self._stats_window,
        )

    async def connect(self, room_id: str, party_id: str, offer_sdp: str) -> str:
        return await self._room(room_id).connect(party_id, offer_sdp)

    def add_party(self, room_id: str, party_id: str, publishes: bool = True) -> None:
        """Admit a party (a guest, a counselor; ``publishes=False`` for a
        supervisor who only watches). They then ``connect``."""
        self._room(room_id).add_party(party_id, publishes)

    async def remove_party(self, room_id: str, party_id: str) -> None:
        await self._room(room_id).remove_party(party_id)

    async def replace_party(
        self, room_id: str, old: str, new: str, publishes: bool | None = None
    ) -> None:
        """Warm transfer: ``new`` takes ``old``'s slots with every viewer."""
        await self._room(room_id).replace_party(old, new, publishes)

    def parties(self, room_id: str) -> tuple[str, ...]:
        return self._room(room_id).parties

    def roster(self, room_id: str) -> Roster:
        """For each viewer: publisher -> kind -> mid of the slot carrying it."""
        return self._room(room_id).roster()

    def stats(
        self, room_id: str, kind: str = "video"
    ) -> dict[str, dict[str, DeliveryStats]]:
        """For each subscriber, per publisher: frames per second delivered over
        the last ``stats_window`` seconds, and the latency the server added."""
        return self._room(room_id).stats(kind)

    def tap(self, room_id: str, party_id: str, kind: str) -> ForwardedTrack:
        return self._room(room_id).tap(party_id, kind)

    def decoded_video(self, room_id: str, party_id: str) -> DecodedVideo:
        """A party's video as decoded frames (for the quality helper's
        ``QualityMonitor``); ``stop()`` it when done, decoding stops with it."""
        return self._room(room_id).decoded_video(party_id)

    def watch_quality(
        self,
        room_id: str,
        party_id: str,
        on_advice: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        """Check a signer's picture (light, focus, face and hands in frame) twice
        a second, off the event loop; ``on_advice`` gets the advice codes when
        they settle on new ones. Stops when the room closes. The video is decoded
        for this (VP8 needs every frame), which costs a few % of a core."""
        video = self.decoded_video(room_id, party_id)

        async def changed(report: QualityReport) -> None:
            await on_advice([str(a) for a in report.advice])

        monitor = QualityMonitor(changed)
        monitor.watch(video)
        self._monitors.setdefault(room_id, []).append((monitor, video))

    async def _stop_monitors(self, room_id: str) -> None:
        for monitor, video in self._monitors.pop(room_id, []):
            await monitor.stop()
            video.stop()

    def connection_state(self, room_id: str, party_id: str) -> str:
        return self._room(room_id).connection_state(party_id)

    async def close_room(self, room_id: str) -> None:
        await self._stop_monitors(room_id)
        room = self._rooms.pop(room_id, None)
        if room is not None:
            await room.close()

    async def close(self) -> None:
        for room_id in list(self._monitors):
            await self._stop_monitors(room_id)
        rooms, self._rooms = list(self._rooms.values()), {}
        await asyncio.gather(*(room.close() for room in rooms))
