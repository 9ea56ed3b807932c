"""The socket.io wire protocol: payload and ack models, and the event registry.

docs/asyncapi.yaml is generated from ``EVENTS`` and a test keeps the two equal;
web_client/static/js/protocol.js mirrors the names for the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from counseling.cases import EndReason, EventKind, Party
from counseling.chat import MAX_CHAT_LENGTH
from counseling.services import Language, Service
from interpreter_pool.events import AwayReason, StaffStatus

CITIZEN_NAMESPACE = "/citizen"
STAFF_NAMESPACE = "/staff"

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
    sender_name: str
    text: str
    at: AwareDatetime


class ChatAck(Payload):
    ok: Literal[True]
    message: ChatMessageNotice


class ChatHistoryAck(Payload):
    ok: Literal[True]
    messages: list[ChatMessageNotice]


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


class OfferClosedNotice(Payload):
    offer_id: str = Field(pattern=ID_PATTERN)
    reason: Literal[
        EventKind.DECLINED, EventKind.OFFER_EXPIRED, EventKind.OFFER_WITHDRAWN
    ]


class ErrorCode(StrEnum):
    """Error codes that the transport itself produces (the core adds its own)."""

    INVALID_PAYLOAD = "invalid_payload"
    UNKNOWN_SERVICE = "unknown_service"
    MEDIA_FAILED = "media_failed"
    INTERNAL = "internal_error"


@dataclass(frozen=True, slots=True)
class EventSpec:
    namespace: str
    name: str
    direction: Literal["client_to_server", "server_to_client"]
    payload: type[Payload]
    summary: str
    ack: type[Payload] | None = None
    errors: tuple[str, ...] = ()


_C, _S = CITIZEN_NAMESPACE, STAFF_NAMESPACE
_IN: Literal["client_to_server"] = "client_to_server"
_OUT: Literal["server_to_client"] = "server_to_client"
_BAD = (ErrorCode.INVALID_PAYLOAD.value,)

EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        _C,
        "request",
        _IN,
        RequestInterpreter,
        "Ask for an interpreter; opens a case.",
        RequestAck,
        (
            *_BAD,
            ErrorCode.UNKNOWN_SERVICE.value,
            "already_waiting",
            "service_closed",
            "closing_soon",
            "join_token_unknown",
            "join_too_early",
            "join_token_expired",
        ),
    ),
    EventSpec(
        _C,
        "cancel",
        _IN,
        Empty,
        "Withdraw a waiting request.",
        OkAck,
        (*_BAD, "not_waiting"),
    ),
    EventSpec(
        _C,
        "rtc_offer",
        _IN,
        RtcOffer,
        "Send the SDP offer for the room's peer connection.",
        RtcAnswer,
        (*_BAD, "not_in_room", ErrorCode.MEDIA_FAILED.value),
    ),
    EventSpec(
        _C,
        "send_chat",
        _IN,
        SendChat,
        "Write in the room's chat (up to 1,000 characters); everyone gets it.",
        ChatAck,
        (*_BAD, "not_in_room"),
    ),
    EventSpec(
        _C,
        "chat_history",
        _IN,
        RoomRef,
        "The room's chat so far, e.g. after a reload.",
        ChatHistoryAck,
        (*_BAD, "not_in_room"),
    ),
    EventSpec(
        _C,
        "chat_message",
        _OUT,
        ChatMessageNotice,
        "A chat message in your room.",
    ),
    EventSpec(
        _C,
        "hang_up",
        _IN,
        RoomRef,
        "End the session.",
        OkAck,
        (*_BAD, "not_in_room"),
    ),
    EventSpec(
        _C,
        "queue_position",
        _OUT,
        QueuePosition,
        "The citizen's place in the queue changed.",
    ),
    EventSpec(
        _C,
        "request_ended",
        _OUT,
        RequestEndedNotice,
        "The request ended before a session started.",
    ),
    EventSpec(
        _C,
        "session_started",
        _OUT,
        SessionStartedNotice,
        "An interpreter answered: join the room.",
    ),
    EventSpec(_C, "session_ended", _OUT, SessionEndedNotice, "The session ended."),
    EventSpec(
        _C,
        "peer_reconnecting",
        _OUT,
        PeerReconnecting,
        "The interpreter's connection dropped; the session is held for them.",
    ),
    EventSpec(
        _C,
        "peer_reconnected",
        _OUT,
        PeerReconnected,
        "The interpreter is back; their media resumes.",
    ),
    EventSpec(
        _C,
        "video_quality",
        _OUT,
        VideoQualityNotice,
        "Sign language: what to change in your picture, when that changes.",
    ),
    EventSpec(
        _C,
        "resume",
        _IN,
        ResumeSession,
        "After a reload or a dropped connection: take up the session again "
        "(within the reconnect grace period); then send a new rtc_offer.",
        ResumeAck,
        (*_BAD, "not_in_room"),
    ),
    EventSpec(
        _S,
        "set_presence",
        _IN,
        SetPresence,
        "Set yourself available, or away with a reason; ends wrap-up.",
        StatusAck,
        (*_BAD, "in_session", "not_on_duty"),
    ),
    EventSpec(
        _S,
        "accept_offer",
        _IN,
        OfferRef,
        "Accept an offer made to you.",
        OkAck,
        (*_BAD, "unknown_offer", "not_your_offer"),
    ),
    EventSpec(
        _S,
        "decline_offer",
        _IN,
        OfferRef,
        "Decline an offer made to you.",
        OkAck,
        (*_BAD, "unknown_offer", "not_your_offer"),
    ),
    EventSpec(
        _S,
        "rtc_offer",
        _IN,
        RtcOffer,
        "Send the SDP offer for the room's peer connection.",
        RtcAnswer,
        (*_BAD, "not_in_room", ErrorCode.MEDIA_FAILED.value),
    ),
    EventSpec(
        _S,
        "send_chat",
        _IN,
        SendChat,
        "Write in the room's chat (up to 1,000 characters); everyone gets it.",
        ChatAck,
        (*_BAD, "not_in_room"),
    ),
    EventSpec(
        _S,
        "chat_history",
        _IN,
        RoomRef,
        "The room's chat so far, e.g. after a reload.",
        ChatHistoryAck,
        (*_BAD, "not_in_room"),
    ),
    EventSpec(
        _S,
        "chat_message",
        _OUT,
        ChatMessageNotice,
        "A chat message in your room.",
    ),
    EventSpec(
        _S,
        "hang_up",
        _IN,
        RoomRef,
        "End the session.",
        OkAck,
        (*_BAD, "not_in_room"),
    ),
    EventSpec(_S, "status", _OUT, StaffStatusNotice, "Your presence changed."),
    EventSpec(
        _S,
        "service_closing",
        _OUT,
        ServiceClosingNotice,
        "Your service closes in ten minutes; sessions in progress go on.",
    ),
    EventSpec(
        _S,
        "staff_presence",
        _OUT,
        StaffPresenceNotice,
        "Supervisors only: a staff member's presence changed (all of them on connect).",
    ),
    EventSpec(_S, "offer", _OUT, OfferNotice, "A citizen's request is offered to you."),
    EventSpec(
        _S,
        "offer_closed",
        _OUT,
        OfferClosedNotice,
        "An offer to you was declined, expired or withdrawn.",
    ),
    EventSpec(
        _S,
        "session_started",
        _OUT,
        SessionStartedNotice,
        "You accepted: join the room.",
    ),
    EventSpec(
        _S,
        "dashboard",
        _OUT,
        DashboardNotice,
        "Supervisors: queues, staff and sessions now; on connect and at most "
        "once a second while anything changes.",
    ),
    EventSpec(
        _S,
        "peer_reconnecting",
        _OUT,
        PeerReconnecting,
        "The citizen's connection dropped (a reload?); the session is held for them.",
    ),
    EventSpec(
        _S,
        "peer_reconnected",
        _OUT,
        PeerReconnected,
        "The citizen is back; their media resumes.",
    ),
    EventSpec(_S, "session_ended", _OUT, SessionEndedNotice, "The session ended."),
)


def spec(namespace: str, name: str) -> EventSpec:
    for event in EVENTS:
        if event.namespace == namespace and event.name == name:
            return event
    raise KeyError(f"{namespace} {name}")
