"""What the pool tells the outside world after each command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

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


@dataclass(frozen=True, slots=True)
class Offer:
    id: str
    case_id: str
    staff_id: str
    skill: Skill
    made_at: datetime
    expires_at: datetime


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
)
