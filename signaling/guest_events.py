"""The events of the guest namespace: joining by invite, media, chat and leaving
(signaling/protocol.py adds those every room namespace shares)."""

from __future__ import annotations

from signaling.event_spec import BAD, GUEST_NAMESPACE, IN, OUT, ErrorCode, EventSpec
from signaling.payloads import OkAck, RoomRef, RtcAnswer, RtcOffer, SendChat
from signaling.room_payloads import (
    GuestChatAck,
    GuestChatHistoryAck,
    GuestChatMessage,
    GuestJoin,
    GuestJoinAck,
    GuestResume,
    LeftRoomNotice,
    RoomClosedNotice,
)

GUEST_EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        GUEST_NAMESPACE,
        "join",
        IN,
        GuestJoin,
        "Join the room of an invite (single use); then send rtc_offer.",
        GuestJoinAck,
        (
            *BAD,
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
        IN,
        GuestResume,
        "After a reload or a dropped connection: take your place in the room up "
        "again with the join ack's resume_token (within the reconnect grace "
        "period); then send rtc_offer and chat_history again.",
        GuestJoinAck,
        (*BAD, "not_in_room"),
    ),
    EventSpec(
        GUEST_NAMESPACE,
        "rtc_offer",
        IN,
        RtcOffer,
        "Send the SDP offer for your peer connection (audio only: no video "
        "m-line of your own).",
        RtcAnswer,
        (*BAD, "not_in_room", ErrorCode.MEDIA_FAILED.value),
    ),
    EventSpec(
        GUEST_NAMESPACE,
        "send_chat",
        IN,
        SendChat,
        "Write in the room's chat (up to 1,000 characters).",
        GuestChatAck,
        (*BAD, "not_in_room"),
    ),
    EventSpec(
        GUEST_NAMESPACE,
        "chat_history",
        IN,
        RoomRef,
        "The room's chat so far.",
        GuestChatHistoryAck,
        (*BAD, "not_in_room"),
    ),
    EventSpec(
        GUEST_NAMESPACE,
        "chat_message",
        OUT,
        GuestChatMessage,
        "A chat message in the room.",
    ),
    EventSpec(
        GUEST_NAMESPACE,
        "leave",
        IN,
        RoomRef,
        "Leave the room; the others go on.",
        OkAck,
        (*BAD, "not_in_room"),
    ),
    EventSpec(
        GUEST_NAMESPACE,
        "left_room",
        OUT,
        LeftRoomNotice,
        "You were taken out of the room.",
    ),
    EventSpec(
        GUEST_NAMESPACE,
        "room_closed",
        OUT,
        RoomClosedNotice,
        "The session ended.",
    ),
)
