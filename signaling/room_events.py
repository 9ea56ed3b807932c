"""The events every room namespace (citizen, staff, guest) has alike: the roster,
recording consent and the room controls of the session's interpreter."""

from __future__ import annotations

from signaling.event_spec import (
    BAD,
    CITIZEN_NAMESPACE,
    GUEST_NAMESPACE,
    IN,
    OUT,
    STAFF_NAMESPACE,
    EventSpec,
)
from signaling.payloads import OkAck
from signaling.room_payloads import (
    CancelJoinRequest,
    ConsentRequestNotice,
    CreateInvite,
    GiveConsent,
    InviteAck,
    RecordingStateNotice,
    RemoveParty,
    RequestCounselor,
    RosterNotice,
    TransferSession,
)

_ROOM_NAMESPACES = (CITIZEN_NAMESPACE, STAFF_NAMESPACE, GUEST_NAMESPACE)

ROSTER_EVENTS: tuple[EventSpec, ...] = tuple(
    EventSpec(
        namespace,
        "roster",
        OUT,
        RosterNotice,
        "Who is in the room (role, label, audio only) and which of your "
        "slots (mids) carries whom; on every join, leave, transfer and connect.",
    )
    for namespace in _ROOM_NAMESPACES
)

CONSENT_EVENTS: tuple[EventSpec, ...] = tuple(
    event
    for namespace in _ROOM_NAMESPACES
    for event in (
        EventSpec(
            namespace,
            "consent_request",
            OUT,
            ConsentRequestNotice,
            "The recording notice, when the session starts or you join: "
            "answer with give_consent.",
        ),
        EventSpec(
            namespace,
            "give_consent",
            IN,
            GiveConsent,
            "Agree to the recording (true) or decline or withdraw (false), "
            "at any time; a withdrawal stops the recording within a second.",
            OkAck,
            (*BAD, "not_in_room"),
        ),
        EventSpec(
            namespace,
            "recording_state",
            OUT,
            RecordingStateNotice,
            "Recording off, waiting for consent, recording, paused (someone "
            "new has not agreed) or stopped (someone withdrew); and who agreed.",
        ),
    )
)

ROOM_CONTROL_EVENTS: tuple[EventSpec, ...] = tuple(
    EventSpec(
        namespace,
        name,
        IN,
        payload,
        f"{summary} Only the session's interpreter or a supervisor may; "
        "anyone else gets not_allowed.",
        ack,
        (*BAD, "not_in_room", "not_allowed", *errors),
    )
    for namespace in _ROOM_NAMESPACES
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
)
