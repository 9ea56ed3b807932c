"""The media server: rooms by id, opened by signaling and closed when a session ends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from aiortc import RTCConfiguration, RTCIceServer

from rtc_server.errors import UnknownRoom
from rtc_server.forwarding import Forwarder, RelayForwarder
from rtc_server.room import MediaRoom


class MediaServer:
    """Owns every media room of this process."""

    def __init__(
        self,
        ice_servers: Sequence[str] = (),
        forwarder_factory: Callable[[], Forwarder] = RelayForwarder,
    ) -> None:
        self._ice_servers = tuple(ice_servers)
        self._forwarder_factory = forwarder_factory
        self._rooms: dict[str, MediaRoom] = {}

    def _configuration(self) -> RTCConfiguration:
        # An explicit empty list: aiortc would otherwise add a public STUN server.
        return RTCConfiguration(
            iceServers=[RTCIceServer(urls=url) for url in self._ice_servers]
        )

    @property
    def room_count(self) -> int:
        return len(self._rooms)

    def open_room(self, room_id: str, parties: tuple[str, str]) -> None:
        if room_id in self._rooms:
            raise ValueError(f"room {room_id} is already open")
        self._rooms[room_id] = MediaRoom(
            room_id, parties, self._forwarder_factory(), self._configuration
        )

    async def connect(self, room_id: str, party_id: str, offer_sdp: str) -> str:
        room = self._rooms.get(room_id)
        if room is None:
            raise UnknownRoom(room_id)
        return await room.connect(party_id, offer_sdp)

    async def close_room(self, room_id: str) -> None:
        room = self._rooms.pop(room_id, None)
        if room is not None:
            await room.close()

    async def close(self) -> None:
        rooms, self._rooms = list(self._rooms.values()), {}
        await asyncio.gather(*(room.close() for room in rooms))
