"""Errors of the pool: one root, subclasses with a stable code for the wire."""

from __future__ import annotations

from typing import ClassVar


class PoolError(Exception):
    """Root of every error the pool raises; ``code`` is stable on the wire."""

    code: ClassVar[str] = "pool_error"


class AlreadyWaiting(PoolError):
    code = "already_waiting"

    def __init__(self, citizen_id: str) -> None:
        super().__init__("you already have a request in progress")
        self.citizen_id = citizen_id


class NotWaiting(PoolError):
    code = "not_waiting"

    def __init__(self, citizen_id: str) -> None:
        super().__init__("you have no request waiting")
        self.citizen_id = citizen_id


class UnknownOffer(PoolError):
    code = "unknown_offer"

    def __init__(self, offer_id: str) -> None:
        super().__init__("this offer does not exist or is no longer open")
        self.offer_id = offer_id


class NotYourOffer(PoolError):
    code = "not_your_offer"

    def __init__(self, offer_id: str, staff_id: str) -> None:
        super().__init__("this offer was made to someone else")
        self.offer_id = offer_id
        self.staff_id = staff_id


class NotInRoom(PoolError):
    code = "not_in_room"

    def __init__(self, room_id: str, party_id: str) -> None:
        super().__init__("you are not in this room")
        self.room_id = room_id
        self.party_id = party_id


class UnknownStaff(PoolError):
    code = "not_on_duty"

    def __init__(self, staff_id: str) -> None:
        super().__init__("you are not signed in to the pool")
        self.staff_id = staff_id


class StaffBusy(PoolError):
    code = "in_session"

    def __init__(self, staff_id: str) -> None:
        super().__init__("you are in a session; hang up first")
        self.staff_id = staff_id


class NotAllowed(PoolError):
    code = "not_allowed"

    def __init__(self, room_id: str, party_id: str) -> None:
        super().__init__("only the session's interpreter or a supervisor may do this")
        self.room_id = room_id
        self.party_id = party_id


class RoomFull(PoolError):
    code = "room_full"

    def __init__(self, room_id: str) -> None:
        super().__init__("this session has no room for another party")
        self.room_id = room_id


class AlreadyInRoom(PoolError):
    code = "already_in_room"

    def __init__(self, room_id: str, party_id: str) -> None:
        super().__init__("you are already in a session")
        self.room_id = room_id
        self.party_id = party_id


class InviteUnknown(PoolError):
    code = "invite_unknown"

    def __init__(self) -> None:
        super().__init__("this invite does not exist or its session has ended")


class InviteExpired(PoolError):
    code = "invite_expired"

    def __init__(self) -> None:
        super().__init__("this invite has expired")


class InviteUsed(PoolError):
    code = "invite_used"

    def __init__(self) -> None:
        super().__init__("this invite has already been used")


class UnknownDepartment(PoolError):
    code = "unknown_department"

    def __init__(self, department: str) -> None:
        super().__init__("this department does not exist")
        self.department = department


class JoinPending(PoolError):
    code = "join_pending"

    def __init__(self, room_id: str) -> None:
        super().__init__("a counselor or transfer request for this room is open")
        self.room_id = room_id


class NoJoinRequest(PoolError):
    code = "no_join_request"

    def __init__(self, room_id: str) -> None:
        super().__init__("no counselor or transfer request for this room is open")
        self.room_id = room_id


class StaffUnavailable(PoolError):
    code = "staff_unavailable"

    def __init__(self, staff_id: str) -> None:
        super().__init__("that interpreter is not available for this session")
        self.staff_id = staff_id


class UnknownParty(PoolError):
    code = "unknown_party"

    def __init__(self, room_id: str) -> None:
        super().__init__("nobody by that id can be removed from this room")
        self.room_id = room_id
