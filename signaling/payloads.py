"""The payloads of a one-to-one call: the base ``Payload``, and what citizens and
interpreters send, get back as acks and are told (see signaling/protocol.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from counseling.cases import EndReason, EventKind, Party
from counseling.chat import MAX_CHAT_LENGTH
from counseling.services import Language, Service
from interpreter_pool.events import AwayReason, StaffStatus

ID_PATTERN = r"^[0-9a-f]{32}$"
MAX_SDP_LENGTH = 64_000


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Empty(Payload):
    """No fields."""


# -- client to server -------------------------------------------------------


class RequestInterpreter(Payload):
    """A citizen asks for a session; sign language needs no language."""

    service: Service
    language: Language | None = None
    join_token: str | None = Field(
        default=None,
        min_length=20,
        max_length=100,
        pattern=r"^[A-Za-z0-9_-]+$",
        description=(
            "A reservation's join link token: routes the citizen to the reserved "
            "interpreter (service and language then come from the reservation)."
        ),
    )


class RtcOffer(Payload):
    """The browser's SDP offer for its one peer connection to the media server."""

    room_id: str = Field(pattern=ID_PATTERN)
    type: Literal["offer"]
    sdp: str = Field(min_length=1, max_length=MAX_SDP_LENGTH)


class RoomRef(Payload):
    room_id: str = Field(pattern=ID_PATTERN)


class SendChat(Payload):
    """A chat message into the room (deaf participants depend on it)."""

    room_id: str = Field(pattern=ID_PATTERN)
    text: str = Field(min_length=1, max_length=MAX_CHAT_LENGTH)


class ChatMessageNotice(Payload):
    """A message in the room, to every party (the sender included)."""

    room_id: str = Field(pattern=ID_PATTERN)
    case_id: str = Field(pattern=ID_PATTERN)
    seq: int = Field(ge=0, description="Order within the case's transcript")
    sender: Party
    sender_party: str = Field(
        pattern=ID_PATTERN,
        description="The sender's roster party id in this room (yours: `you`)",
    )
    sender_name: str
    text: str
    at: AwareDatetime


class ChatAck(Payload):
    ok: Literal[True]
    message: ChatMessageNotice


class ChatHistoryAck(Payload):
    ok: Literal[True]
    messages: list[ChatMessageNotice]
    you: str = Field(
        pattern=ID_PATTERN,
        description="Your own roster party id in this room: messages whose "
        "sender_party is this are yours",
    )


class OfferRef(Payload):
    offer_id: str = Field(pattern=ID_PATTERN)


class SetPresence(Payload):
    """Available for offers, or away with a reason (which ends wrap-up too)."""

    status: Literal[StaffStatus.AVAILABLE, StaffStatus.AWAY]
    reason: (
        Literal[
            AwayReason.BREAK,
            AwayReason.MEAL,
            AwayReason.MEETING,
            AwayReason.TRAINING,
            AwayReason.OTHER,
        ]
        | None
    ) = None


# -- acks -------------------------------------------------------------------


class ErrorBody(Payload):
    code: str = Field(description="Stable, machine-readable error code")
    message: str = Field(description="A sentence a person can read")
    next_open: AwareDatetime | None = Field(
        default=None,
        description=(
            "service_closed and closing_soon: when the service next opens; "
            "join_too_early: when the join link starts to work"
        ),
    )


class ServiceClosingNotice(Payload):
    """To staff with the skill: their service closes soon (ten minutes ahead)."""

    service: Service
    closes_at: AwareDatetime


class ErrorAck(Payload):
    ok: Literal[False]
    error: ErrorBody


class OkAck(Payload):
    ok: Literal[True]


class RequestAck(Payload):
    ok: Literal[True]
    case_id: str = Field(pattern=ID_PATTERN)
    position: int = Field(ge=1)
    estimated_wait_seconds: float | None = Field(
        description="Seconds until answered; null when nobody qualified is on duty"
    )


class RtcAnswer(Payload):
    ok: Literal[True]
    type: Literal["answer"]
    sdp: str


class StatusAck(Payload):
    ok: Literal[True]
    status: StaffStatus
    reason: AwayReason | None


# -- server to client -------------------------------------------------------


class QueuePosition(Payload):
    case_id: str = Field(pattern=ID_PATTERN)
    position: int = Field(ge=1)
    estimated_wait_seconds: float | None = Field(
        description="Seconds until answered; null when nobody qualified is on duty"
    )
    seq: int = Field(
        ge=0,
        description="Grows with each round of queue notices; a notice with a "
        "smaller seq than one already shown for the case is older: ignore it",
    )


class RequestEndedNotice(Payload):
    case_id: str = Field(pattern=ID_PATTERN)
    reason: EndReason


class PeerInfo(Payload):
    role: Party
    display_name: str


class SessionStartedNotice(Payload):
    room_id: str = Field(pattern=ID_PATTERN)
    case_id: str = Field(pattern=ID_PATTERN)
    service: Service
    language: Language
    peer: PeerInfo
    resume_token: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        description=(
            "Citizens only: keep it for the session (sessionStorage) and send it "
            "with `resume` after a reload or a dropped connection"
        ),
    )


class ResumeSession(Payload):
    """Come back to a session after a reload, with the token session_started gave."""

    resume_token: str = Field(pattern=ID_PATTERN)


class ResumeAck(Payload):
    ok: Literal[True]
    session: SessionStartedNotice


class SessionEndedNotice(Payload):
    room_id: str = Field(pattern=ID_PATTERN)
    case_id: str = Field(pattern=ID_PATTERN)
    reason: EndReason
    ended_by: Party
    feedback_token: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        description=(
            "Citizens only: a one-time token to rate the session "
            "(POST /api/feedback); absent when none could be issued"
        ),
    )
    feedback_expires_at: AwareDatetime | None = Field(
        default=None, description="Citizens only: when the feedback token lapses"
    )


class StaffStatusNotice(Payload):
    status: StaffStatus
    reason: AwayReason | None
    since: AwareDatetime


class StaffPresenceNotice(Payload):
    """For supervisors: one staff member's state changed."""

    staff_id: str = Field(pattern=ID_PATTERN)
    display_name: str
    status: StaffStatus
    reason: AwayReason | None
    since: AwareDatetime


class PeerReconnecting(Payload):
    """The other party's connection dropped; the session waits until ``deadline``."""

    room_id: str = Field(pattern=ID_PATTERN)
    deadline: AwareDatetime


class PeerReconnected(Payload):
    room_id: str = Field(pattern=ID_PATTERN)


class PictureAdvice(StrEnum):
    """What a signer should change in their picture (rtc_server.quality.Advice)."""

    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    BACKLIT = "backlit"
    LOW_CONTRAST = "low_contrast"
    BLURRY = "blurry"
    NO_FACE = "no_face"
    TOO_CLOSE = "too_close"
    OFF_CENTER = "off_center"


class VideoQualityNotice(Payload):
    """Sign language: the server's check of the citizen's picture as it arrives
    (face and hands in frame, light, focus); empty advice means all is well."""

    room_id: str = Field(pattern=ID_PATTERN)
    advice: list[PictureAdvice] = Field(description="Most important first")


class QueueFigures(Payload):
    service: Service
    language: Language
    waiting: int = Field(ge=1)
    longest_wait_seconds: float = Field(ge=0)


class LiveSession(Payload):
    room_id: str = Field(pattern=ID_PATTERN)
    case_id: str = Field(pattern=ID_PATTERN)
    service: Service
    language: Language
    staff_id: str
    staff_name: str
    started_at: AwareDatetime
    reconnecting: bool = Field(
        description="A party dropped and the session is held for them"
    )


class DashboardNotice(Payload):
    """Supervisors: the center right now (pushed at most once a second on change)."""

    at: AwareDatetime
    queues: list[QueueFigures]
    staff: list[StaffPresenceNotice]
    sessions: list[LiveSession]


class OfferNotice(Payload):
    offer_id: str = Field(pattern=ID_PATTERN)
    case_id: str = Field(pattern=ID_PATTERN)
    service: Service
    language: Language
    expires_at: AwareDatetime = Field(description="When the offer lapses")
    timeout_seconds: float
    purpose: Literal["session", "counselor", "transfer"] = Field(
        default="session",
        description=(
            "session: a citizen waiting; counselor: join a session in progress "
            "as a department's counselor; transfer: take a session over"
        ),
    )
    department: str | None = Field(default=None, description="counselor offers")


class OfferClosedNotice(Payload):
    offer_id: str = Field(pattern=ID_PATTERN)
    reason: Literal[
        EventKind.DECLINED, EventKind.OFFER_EXPIRED, EventKind.OFFER_WITHDRAWN
    ]
