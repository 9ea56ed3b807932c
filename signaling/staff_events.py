"""The events of the staff namespace: presence, offers, the call, supervisors
and the room controls only staff have (signaling/protocol.py assembles them)."""

from __future__ import annotations

from signaling.event_spec import BAD, IN, OUT, STAFF_NAMESPACE, ErrorCode, EventSpec
from signaling.payloads import (
    ChatAck,
    ChatHistoryAck,
    ChatMessageNotice,
    DashboardNotice,
    Empty,
    OfferClosedNotice,
    OfferNotice,
    OfferRef,
    OkAck,
    PeerReconnected,
    PeerReconnecting,
    RoomRef,
    RtcAnswer,
    RtcOffer,
    SendChat,
    ServiceClosingNotice,
    SessionEndedNotice,
    SessionStartedNotice,
    SetPresence,
    StaffPresenceNotice,
    StaffStatusNotice,
    StatusAck,
)
from signaling.room_payloads import (
    DepartmentsAck,
    JoinRequestEndedNotice,
    LeftRoomNotice,
    WatchAck,
)

_S = STAFF_NAMESPACE

STAFF_EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        _S,
        "set_presence",
        IN,
        SetPresence,
        "Set yourself available, or away with a reason; ends wrap-up.",
        StatusAck,
        (*BAD, "in_session", "not_on_duty"),
    ),
    EventSpec(
        _S,
        "accept_offer",
        IN,
        OfferRef,
        "Accept an offer made to you.",
        OkAck,
        (*BAD, "unknown_offer", "not_your_offer"),
    ),
    EventSpec(
        _S,
        "decline_offer",
        IN,
        OfferRef,
        "Decline an offer made to you.",
        OkAck,
        (*BAD, "unknown_offer", "not_your_offer"),
    ),
    EventSpec(
        _S,
        "rtc_offer",
        IN,
        RtcOffer,
        "Send the SDP offer for the room's peer connection.",
        RtcAnswer,
        (*BAD, "not_in_room", ErrorCode.MEDIA_FAILED.value),
    ),
    EventSpec(
        _S,
        "send_chat",
        IN,
        SendChat,
        "Write in the room's chat (up to 1,000 characters); everyone gets it.",
        ChatAck,
        (*BAD, "not_in_room"),
    ),
    EventSpec(
        _S,
        "chat_history",
        IN,
        RoomRef,
        "The room's chat so far, e.g. after a reload.",
        ChatHistoryAck,
        (*BAD, "not_in_room"),
    ),
    EventSpec(
        _S,
        "chat_message",
        OUT,
        ChatMessageNotice,
        "A chat message in your room.",
    ),
    EventSpec(
        _S,
        "hang_up",
        IN,
        RoomRef,
        "End the session.",
        OkAck,
        (*BAD, "not_in_room"),
    ),
    EventSpec(_S, "status", OUT, StaffStatusNotice, "Your presence changed."),
    EventSpec(
        _S,
        "service_closing",
        OUT,
        ServiceClosingNotice,
        "Your service closes in ten minutes; sessions in progress go on.",
    ),
    EventSpec(
        _S,
        "staff_presence",
        OUT,
        StaffPresenceNotice,
        "Supervisors only: a staff member's presence changed (all of them on connect).",
    ),
    EventSpec(_S, "offer", OUT, OfferNotice, "A citizen's request is offered to you."),
    EventSpec(
        _S,
        "offer_closed",
        OUT,
        OfferClosedNotice,
        "An offer to you was declined, expired or withdrawn.",
    ),
    EventSpec(
        _S,
        "session_started",
        OUT,
        SessionStartedNotice,
        "You accepted: join the room.",
    ),
    EventSpec(
        _S,
        "dashboard",
        OUT,
        DashboardNotice,
        "Supervisors: queues, staff and sessions now; on connect and at most "
        "once a second while anything changes.",
    ),
    EventSpec(
        _S,
        "peer_reconnecting",
        OUT,
        PeerReconnecting,
        "The citizen's connection dropped (a reload?); the session is held for them.",
    ),
    EventSpec(
        _S,
        "peer_reconnected",
        OUT,
        PeerReconnected,
        "The citizen is back; their media resumes.",
    ),
    EventSpec(_S, "session_ended", OUT, SessionEndedNotice, "The session ended."),
)

STAFF_ROOM_EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        _S,
        "departments",
        IN,
        Empty,
        "The departments whose counselor can be asked for.",
        DepartmentsAck,
        BAD,
    ),
    EventSpec(
        _S,
        "watch_session",
        IN,
        RoomRef,
        "Supervisors: listen in on a session without publishing; every "
        "participant's roster shows you. Then send rtc_offer; hang_up leaves. "
        "From another connection of yours (a reload, another tab) it takes "
        "your place; the old connection gets left_room (elsewhere).",
        WatchAck,
        (*BAD, "not_in_room", "not_allowed", "already_in_room", "room_full"),
    ),
    EventSpec(
        _S,
        "left_room",
        OUT,
        LeftRoomNotice,
        "You are out of a room that goes on: you left, were removed, handed "
        "it over (wrap-up follows), or listen in from another connection of "
        "yours now (elsewhere).",
    ),
    EventSpec(
        _S,
        "join_request_ended",
        OUT,
        JoinRequestEndedNotice,
        "Your counselor or transfer request ended without anyone accepting "
        "(declined by all, or cancelled).",
    ),
)
