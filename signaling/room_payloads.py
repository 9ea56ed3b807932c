"""The payloads of rooms of more than two (signaling/parties.py): invites,
counselors and transfers, the roster, recording consent and guest chat."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from counseling.cases import Party
from counseling.services import Language, Service
from signaling.payloads import ID_PATTERN, Payload, SessionStartedNotice

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
    party on each join, leave, transfer and media connect, and when a text chat
    starts (it has no media)."""

    room_id: str = Field(pattern=ID_PATTERN)
    parties: list[RosterParty]
    supervisor_present: bool


class LeftRoomNotice(Payload):
    """To a party who is no longer in the room while it goes on."""

    room_id: str = Field(pattern=ID_PATTERN)
    reason: Literal["left", "removed", "transferred", "elsewhere"] = Field(
        description="left: you left; removed: someone in charge took you out; "
        "transferred: the session was handed over (wrap-up follows); "
        "elsewhere: you listen in from another connection of yours now "
        "(another tab or window), so this one stopped"
    )


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
