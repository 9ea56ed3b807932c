"""What the pool tells the outside world after each command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from counseling.cases import EndReason, EventKind, Party
from counseling.services import Skill


class StaffStatus(StrEnum):
    OFFLINE = "offline"
    AWAY = "away"
    AVAILABLE = "available"
    OFFERED = "offered"
    IN_SESSION = "in_session"
    WRAP_UP = "wrap_up"


class AwayReason(StrEnum):
    """Why a staff member is away; the system sets the last two itself."""

    BREAK = "break"
    MEAL = "meal"
    MEETING = "meeting"
    TRAINING = "training"
    OTHER = "other"
    NOT_READY = "not_ready"
    MISSED_OFFERS = "missed_offers"


SYSTEM_AWAY_REASONS = frozenset({AwayReason.NOT_READY, AwayReason.MISSED_OFFERS})


JoinKind = Literal["counselor", "transfer"]


@dataclass(frozen=True, slots=True)
class Offer:
    id: str
    case_id: str
    staff_id: str
    skill: Skill
    made_at: datetime
    expires_at: datetime
    room_id: str | None = None
    """Set when the offer is to join a session in progress (a join request)."""
    purpose: JoinKind | None = None
    department: str | None = None


@dataclass(frozen=True, slots=True)
class RoomParty:
    """Someone in a session's room besides its citizen and its interpreter."""

    party_id: str
    role: Party
    publishes: bool
    audio_only: bool
    joined_at: datetime
    label: str = ""
    connection: str = ""
    """The connection that holds the place (a supervisor's tab); "" for any."""
    resume_hash: str = ""
    """A guest's resume token, hashed: a reload takes the place up again."""
    grace_until: datetime | None = None
    """Set while their connection is gone (a guest, a counselor, a supervisor):
    until when they may come back."""


@dataclass(frozen=True, slots=True)
class Session:
    room_id: str
    case_id: str
    citizen_id: str
    staff_id: str
    skill: Skill
    started_at: datetime
    media_node: str = ""
    """The process whose media server holds the room ("" with one process)."""
    parties: tuple[RoomParty, ...] = ()
    """Everyone else in the room: counselors, guests, a supervisor, an
    interpreter taking over."""
    incoming: str | None = None
    """The interpreter taking the session over, once they have joined."""

    def party(self, party_id: str) -> RoomParty | None:
        return next((p for p in self.parties if p.party_id == party_id), None)

    def has(self, party_id: str) -> bool:
        """Is ``party_id`` in the room, in any role."""
        if party_id in (self.citizen_id, self.staff_id):
            return True
        return self.party(party_id) is not None


@dataclass(frozen=True, slots=True)
class OfferMade:
    offer: Offer


@dataclass(frozen=True, slots=True)
class OfferClosed:
    """An offer stopped being open without an answer: declined, expired, withdrawn."""

    offer: Offer
    kind: EventKind
    at: datetime


@dataclass(frozen=True, slots=True)
class SessionStarted:
    session: Session


@dataclass(frozen=True, slots=True)
class SessionEnded:
    session: Session
    reason: EndReason
    ended_by: Party
    at: datetime


@dataclass(frozen=True, slots=True)
class StaffConnectionLost:
    """The staff member of a session dropped; they have until ``deadline``."""

    session: Session
    deadline: datetime


@dataclass(frozen=True, slots=True)
class StaffReconnected:
    """The staff member came back within the grace period: rejoin the room."""

    session: Session


@dataclass(frozen=True, slots=True)
class CitizenConnectionLost:
    """The citizen of a session dropped (a reload, a network change); they have
    until ``deadline`` to come back with their resume token."""

    session: Session
    deadline: datetime


@dataclass(frozen=True, slots=True)
class CitizenReconnected:
    """The citizen came back within the grace period, on a new connection."""

    session: Session


@dataclass(frozen=True, slots=True)
class RequestEnded:
    """A request ended before any session: cancelled, left, or nobody took it."""

    case_id: str
    citizen_id: str
    reason: EndReason
    at: datetime


@dataclass(frozen=True, slots=True)
class StaffStatusChanged:
    staff_id: str
    status: StaffStatus
    since: datetime
    reason: AwayReason | None = None


@dataclass(frozen=True, slots=True)
class PartyJoined:
    session: Session
    party: RoomParty
    invite_id: str | None = None


LeaveReason = Literal["left", "removed", "transferred", "connection_lost"]


@dataclass(frozen=True, slots=True)
class PartyLeft:
    """A party left a room that goes on; ``session`` is the room without them."""

    session: Session
    party: RoomParty
    reason: LeaveReason
    at: datetime


@dataclass(frozen=True, slots=True)
class PartyReconnecting:
    """A guest's connection dropped (a reload); the room keeps their place
    until ``deadline``."""

    session: Session
    party: RoomParty
    deadline: datetime


@dataclass(frozen=True, slots=True)
class PartyReconnected:
    """A guest came back with their resume token, on a new connection."""

    session: Session
    party: RoomParty


@dataclass(frozen=True, slots=True)
class SessionTransferred:
    """``session.staff_id`` took over from ``from_staff``, who left the room."""

    session: Session
    from_staff: str
    at: datetime


@dataclass(frozen=True, slots=True)
class JoinRequested:
    session: Session
    kind: JoinKind
    by: str
    department: str | None
    staff_id: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class JoinRequestEnded:
    """A counselor or transfer request ended unanswered (``by``: who cancelled it)."""

    session: Session
    kind: JoinKind
    reason: Literal["declined_by_all", "session_ended", "cancelled"]
    at: datetime
    by: str | None = None


@dataclass(frozen=True, slots=True)
class InviteCreated:
    session: Session
    invite_id: str
    by: str
    at: datetime


PoolEvent = (
    OfferMade
    | OfferClosed
    | SessionStarted
    | SessionEnded
    | StaffConnectionLost
    | StaffReconnected
    | CitizenConnectionLost
    | CitizenReconnected
    | RequestEnded
    | StaffStatusChanged
    | PartyJoined
    | PartyLeft
    | PartyReconnecting
    | PartyReconnected
    | SessionTransferred
    | JoinRequested
    | JoinRequestEnded
    | InviteCreated
)
