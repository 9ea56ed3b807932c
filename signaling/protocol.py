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
GUEST_NAMESPACE = "/guest"

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


# -- rooms of more than two (signaling/parties.py) ----------------------------

INVITE_PATTERN = r"^[A-Za-z0-9_-]{22}$"
DEPARTMENT_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"


class CreateInvite(Payload):
    """The interpreter (or a supervisor) invites a guest: a single-use link."""

    room_id: str = Field(pattern=ID_PATTERN)
    expires_in_minutes: int = Field(default=30, ge=1, le=240)


class InviteAck(Payload):
    ok: Literal[True]
    invite: str = Field(
        pattern=INVITE_PATTERN,
        description="The invite token (shown once; the server keeps only its hash)",
    )
    url: str = Field(description="The guest page link: /guest?invite=<invite>")
    expires_at: AwareDatetime


class RequestCounselor(Payload):
    """The interpreter asks for a counselor of a department to join the room."""

    room_id: str = Field(pattern=ID_PATTERN)
    department: str = Field(pattern=DEPARTMENT_PATTERN)


class TransferSession(Payload):
    """Hand the session to another interpreter: a named one, or the queue."""

    room_id: str = Field(pattern=ID_PATTERN)
    to_staff_id: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        description="The interpreter to offer it to; null: the longest idle one",
    )


class CancelJoinRequest(Payload):
    """Withdraw the room's pending counselor or transfer request."""

    room_id: str = Field(pattern=ID_PATTERN)


class RemoveParty(Payload):
    room_id: str = Field(pattern=ID_PATTERN)
    party: str = Field(pattern=ID_PATTERN, description="A roster party id")


class DepartmentsAck(Payload):
    ok: Literal[True]
    departments: list[str]


class WatchAck(Payload):
    ok: Literal[True]
    session: SessionStartedNotice


class GuestJoin(Payload):
    """A guest opens their invite link and joins the room."""

    invite: str = Field(pattern=INVITE_PATTERN)
    audio_only: bool = Field(
        default=False, description="No camera: the guest publishes audio only"
    )


class GuestJoinAck(Payload):
    ok: Literal[True]
    room_id: str = Field(pattern=ID_PATTERN)
    party: str = Field(pattern=ID_PATTERN, description="Your own roster party id")
    service: Service
    language: Language
    audio_only: bool
    resume_token: str = Field(
        pattern=INVITE_PATTERN,
        description="Keep it for this tab (sessionStorage): after a reload or a "
        "dropped connection, send it with resume within the reconnect grace "
        "period to take your place up again",
    )


class GuestResume(Payload):
    """A guest's new connection takes up their place in the room again."""

    resume_token: str = Field(pattern=INVITE_PATTERN)


class RosterMedia(Payload):
    """Which slot (SDP mid) of YOUR peer connection carries this party."""

    audio: str | None = None
    video: str | None = None


class RosterParty(Payload):
    party: str = Field(
        pattern=ID_PATTERN, description="Opaque, stable for this party in this room"
    )
    role: Party
    label: str = Field(description="A staff member's name, else the role's label")
    publishes: bool = Field(description="False for a supervisor listening in")
    audio_only: bool
    you: bool
    media: RosterMedia
    reconnecting: bool = Field(
        default=False,
        description="Their connection dropped; the room keeps their place "
        "for the reconnect grace period",
    )


class RosterNotice(Payload):
    """Who is in the room and which of your slots carries whom; sent to every
    party on each join, leave, transfer and media connect."""

    room_id: str = Field(pattern=ID_PATTERN)
    parties: list[RosterParty]
    supervisor_present: bool


class LeftRoomNotice(Payload):
    """To a party who is no longer in the room while it goes on."""

    room_id: str = Field(pattern=ID_PATTERN)
    reason: Literal["left", "removed", "transferred"]


class GiveConsent(Payload):
    """Your answer to the recording notice, at any time in the session: true
    agrees; false declines, or takes back an earlier yes (recording stops)."""

    room_id: str = Field(pattern=ID_PATTERN)
    consent: bool


ConsentAnswer = Literal["asked", "given", "declined", "withdrawn"]
RecordingStateName = Literal["off", "waiting", "recording", "paused", "stopped"]


class ConsentRequestNotice(Payload):
    """The recording notice: the session's audio and video are recorded,
    encrypted, with the case, only while everyone in it agrees; a supervisor
    listening in publishes nothing and is not recorded. Answer with give_consent."""

    room_id: str = Field(pattern=ID_PATTERN)
    records: list[Literal["audio", "video"]]


class ConsentParty(Payload):
    party: str = Field(pattern=ID_PATTERN, description="A roster party id")
    role: Party
    consent: ConsentAnswer
    you: bool


class RecordingStateNotice(Payload):
    """Whether the session is being recorded and who has agreed; to everyone
    in the room on every change. ``reason``: why it is off."""

    room_id: str = Field(pattern=ID_PATTERN)
    state: RecordingStateName
    reason: Literal["recording_unavailable"] | None = None
    parties: list[ConsentParty]


class JoinRequestEndedNotice(Payload):
    """To the interpreter: a counselor or transfer request ended unanswered
    (everyone declined, or it was cancelled, perhaps from another tab)."""

    room_id: str = Field(pattern=ID_PATTERN)
    kind: Literal["counselor", "transfer"]
    reason: Literal["declined_by_all", "session_ended", "cancelled"]


class GuestChatMessage(Payload):
    """A chat message as a guest sees it: no case id."""

    room_id: str = Field(pattern=ID_PATTERN)
    seq: int = Field(ge=0)
    sender: Party
    sender_party: str = Field(pattern=ID_PATTERN)
    sender_name: str
    text: str
    at: AwareDatetime


class GuestChatAck(Payload):
    ok: Literal[True]
    message: GuestChatMessage


class GuestChatHistoryAck(Payload):
    ok: Literal[True]
    messages: list[GuestChatMessage]
    you: str = Field(pattern=ID_PATTERN, description="Your own roster party id")


class RoomClosedNotice(Payload):
    """To a guest: the session ended."""

    room_id: str = Field(pattern=ID_PATTERN)


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
    *(
        EventSpec(
            namespace,
            "roster",
            _OUT,
            RosterNotice,
            "Who is in the room (role, label, audio only) and which of your "
            "slots (mids) carries whom; on every join, leave, transfer and connect.",
        )
        for namespace in (_C, _S, GUEST_NAMESPACE)
    ),
    *(
        event
        for namespace in (_C, _S, GUEST_NAMESPACE)
        for event in (
            EventSpec(
                namespace,
                "consent_request",
                _OUT,
                ConsentRequestNotice,
                "The recording notice, when the session starts or you join: "
                "answer with give_consent.",
            ),
            EventSpec(
                namespace,
                "give_consent",
                _IN,
                GiveConsent,
                "Agree to the recording (true) or decline or withdraw (false), "
                "at any time; a withdrawal stops the recording within a second.",
                OkAck,
                (*_BAD, "not_in_room"),
            ),
            EventSpec(
                namespace,
                "recording_state",
                _OUT,
                RecordingStateNotice,
                "Recording off, waiting for consent, recording, paused (someone "
                "new has not agreed) or stopped (someone withdrew); and who agreed.",
            ),
        )
    ),
    *(
        EventSpec(
            namespace,
            name,
            _IN,
            payload,
            f"{summary} Only the session's interpreter or a supervisor may; "
            "anyone else gets not_allowed.",
            ack,
            (*_BAD, "not_in_room", "not_allowed", *errors),
        )
        for namespace in (_C, _S, GUEST_NAMESPACE)
        for name, payload, ack, summary, errors in (
            (
                "create_invite",
                CreateInvite,
                InviteAck,
                "Make a single-use guest invite link for the room.",
                (),
            ),
            (
                "request_counselor",
                RequestCounselor,
                OkAck,
                "Offer a department's counselor a place in the room (offer, "
                "accept, timeout as for interpreters).",
                ("unknown_department", "join_pending", "room_full"),
            ),
            (
                "transfer",
                TransferSession,
                OkAck,
                "Hand the session to another interpreter: they join, then you leave.",
                ("join_pending", "staff_unavailable", "room_full"),
            ),
            (
                "cancel_join_request",
                CancelJoinRequest,
                OkAck,
                "Withdraw the room's pending counselor or transfer request; "
                "an open offer for it is withdrawn (offer_closed, "
                "offer_withdrawn) and you get join_request_ended (cancelled).",
                ("no_join_request",),
            ),
            (
                "remove_party",
                RemoveParty,
                OkAck,
                "Take a guest, counselor or supervisor out of the room.",
                ("unknown_party",),
            ),
        )
    ),
    EventSpec(
        _S,
        "departments",
        _IN,
        Empty,
        "The departments whose counselor can be asked for.",
        DepartmentsAck,
        _BAD,
    ),
    EventSpec(
        _S,
        "watch_session",
        _IN,
        RoomRef,
        "Supervisors: listen in on a session without publishing; every "
        "participant's roster shows you. Then send rtc_offer; hang_up leaves. "
        "From another connection of yours (a reload) it takes your place; the "
        "old connection gets left_room.",
        WatchAck,
        (*_BAD, "not_in_room", "not_allowed", "already_in_room", "room_full"),
    ),
    EventSpec(
        _S,
        "left_room",
        _OUT,
        LeftRoomNotice,
        "You are out of a room that goes on (removed, or handed over: wrap-up).",
    ),
    EventSpec(
        _S,
        "join_request_ended",
        _OUT,
        JoinRequestEndedNotice,
        "Your counselor or transfer request ended without anyone accepting "
        "(declined by all, or cancelled).",
    ),
    EventSpec(
        GUEST_NAMESPACE,
        "join",
        _IN,
        GuestJoin,
        "Join the room of an invite (single use); then send rtc_offer.",
        GuestJoinAck,
        (
            *_BAD,
            "invite_unknown",
            "invite_expired",
            "invite_used",
            "room_full",
            "already_in_room",
        ),
    ),
    EventSpec(
        GUEST_NAMESPACE,
        "resume",
        _IN,
        GuestResume,
        "After a reload or a dropped connection: take your place in the room up "
        "again with the join ack's resume_token (within the reconnect grace "
        "period); then send rtc_offer and chat_history again.",
        GuestJoinAck,
        (*_BAD, "not_in_room"),
    ),
    EventSpec(
        GUEST_NAMESPACE,
        "rtc_offer",
        _IN,
        RtcOffer,
        "Send the SDP offer for your peer connection (audio only: no video "
        "m-line of your own).",
        RtcAnswer,
        (*_BAD, "not_in_room", ErrorCode.MEDIA_FAILED.value),
    ),
    EventSpec(
        GUEST_NAMESPACE,
        "send_chat",
        _IN,
        SendChat,
        "Write in the room's chat (up to 1,000 characters).",
        GuestChatAck,
        (*_BAD, "not_in_room"),
    ),
    EventSpec(
        GUEST_NAMESPACE,
        "chat_history",
        _IN,
        RoomRef,
        "The room's chat so far.",
        GuestChatHistoryAck,
        (*_BAD, "not_in_room"),
    ),
    EventSpec(
        GUEST_NAMESPACE,
        "chat_message",
        _OUT,
        GuestChatMessage,
        "A chat message in the room.",
    ),
    EventSpec(
        GUEST_NAMESPACE,
        "leave",
        _IN,
        RoomRef,
        "Leave the room; the others go on.",
        OkAck,
        (*_BAD, "not_in_room"),
    ),
    EventSpec(
        GUEST_NAMESPACE,
        "left_room",
        _OUT,
        LeftRoomNotice,
        "You were taken out of the room.",
    ),
    EventSpec(
        GUEST_NAMESPACE,
        "room_closed",
        _OUT,
        RoomClosedNotice,
        "The session ended.",
    ),
)


def spec(namespace: str, name: str) -> EventSpec:
    for event in EVENTS:
        if event.namespace == namespace and event.name == name:
            return event
    raise KeyError(f"{namespace} {name}")
