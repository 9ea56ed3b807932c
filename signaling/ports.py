"""What the desk needs from the transports around it: media rooms and notifications."""

from __future__ import annotations

from typing import Protocol

from signaling.protocol import Payload


class MediaRooms(Protocol):
    def open_room(self, room_id: str, parties: tuple[str, str]) -> None: ...

    async def connect(self, room_id: str, party_id: str, offer_sdp: str) -> str: ...

    async def close_room(self, room_id: str) -> None: ...


class Notifier(Protocol):
    async def to_citizen(
        self, citizen_id: str, event: str, payload: Payload
    ) -> None: ...

    async def to_staff(self, staff_id: str, event: str, payload: Payload) -> None: ...

    async def to_supervisors(self, event: str, payload: Payload) -> None: ...
