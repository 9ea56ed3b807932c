"""Errors of the media server: one root, subclasses with a stable code."""

from __future__ import annotations

from typing import ClassVar


class MediaError(Exception):
    """Root of every error the media server raises."""

    code: ClassVar[str] = "media_failed"


class UnknownRoom(MediaError):
    code = "not_in_room"

    def __init__(self, room_id: str) -> None:
        super().__init__("this room does not exist or has ended")
        self.room_id = room_id


class NotAParticipant(MediaError):
    code = "not_in_room"

    def __init__(self, room_id: str, party_id: str) -> None:
        super().__init__("you are not a participant of this room")
        self.room_id = room_id
        self.party_id = party_id


class NegotiationFailed(MediaError):
    code = "media_failed"

    def __init__(self, reason: str) -> None:
        super().__init__(f"the media connection could not be set up: {reason}")
        self.reason = reason


class RoomFull(MediaError):
    code = "room_full"

    def __init__(self, room_id: str, limit: int, what: str) -> None:
        super().__init__(f"this room already has {limit} {what}")
        self.room_id = room_id
        self.limit = limit


class AlreadyInRoom(MediaError):
    code = "already_in_room"

    def __init__(self, room_id: str, party_id: str) -> None:
        super().__init__("this party is already in the room")
        self.room_id = room_id
        self.party_id = party_id
