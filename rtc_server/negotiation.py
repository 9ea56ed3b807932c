"""Reading a party's offer: which m-lines publish, which are slots, which codec.

Forwarding without transcoding needs every party of a room to use the same
codec per kind. The room takes the first codec of ``PREFERRED`` that the first
offer carries and holds every later offer to it (browsers and aiortc all offer
VP8, H.264 and Opus).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiortc import RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpCodecCapability
from aiortc.sdp import SessionDescription

from rtc_server.errors import NegotiationFailed

PREFERRED: Mapping[str, tuple[str, ...]] = {
    "video": ("video/vp8", "video/h264"),
    "audio": ("audio/opus", "audio/g722", "audio/pcmu", "audio/pcma"),
}
SENDS = ("sendrecv", "sendonly")
RECEIVES = ("sendrecv", "recvonly")


@dataclass(frozen=True, slots=True)
class OfferedMedia:
    """One audio or video m-line of an offer, from the offering party's side."""

    mid: str
    kind: str
    direction: str
    codecs: tuple[str, ...]  # lower-case MIME types, in the party's order

    @property
    def publishes(self) -> bool:
        return self.direction in SENDS

    @property
    def is_slot(self) -> bool:
        """The party will receive on it: the server can forward someone here."""
        return self.direction in RECEIVES


def read_offer(sdp: str) -> list[OfferedMedia]:
    try:
        description = SessionDescription.parse(sdp)
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        raise NegotiationFailed("unreadable offer") from exc
    media: list[OfferedMedia] = []
    for m in description.media:
        if m.kind not in PREFERRED:
            continue
        if not m.rtp.muxId:
            raise NegotiationFailed("an m-line has no mid")
        codecs = tuple(c.mimeType.lower() for c in m.rtp.codecs)
        direction = m.direction or "sendrecv"  # RFC 4566: the default
        media.append(OfferedMedia(m.rtp.muxId, m.kind, direction, codecs))
    if not media:
        raise NegotiationFailed("the offer has no audio or video")
    return media


def choose_codecs(
    offer: list[OfferedMedia], chosen: Mapping[str, str]
) -> dict[str, str]:
    """The codec per kind: the room's if it has one, else the first preferred."""
    result = dict(chosen)
    for kind, preferred in PREFERRED.items():
        lines = [m for m in offer if m.kind == kind]
        if not lines:
            continue
        if kind in result:
            if any(result[kind] not in m.codecs for m in lines):
                raise NegotiationFailed(f"the room's {kind} codec is {result[kind]}")
            continue
        common = [c for c in preferred if all(c in m.codecs for m in lines)]
        if not common:
            raise NegotiationFailed(f"no {kind} codec we can forward")
        result[kind] = common[0]
    return result


def preferences(kind: str, codec: str) -> list[RTCRtpCodecCapability]:
    """``codec`` (every profile of it) and retransmission, for setCodecPreferences."""
    return [
        c
        for c in RTCRtpSender.getCapabilities(kind).codecs
        if c.mimeType.lower() in (codec, f"{kind}/rtx")
    ]


def server_direction(offered: OfferedMedia, receive: bool) -> str:
    """The server's side of an m-line: receive what the party publishes (if
    ``receive``), send into it if the party receives on it."""
    server_sends = offered.is_slot
    server_receives = receive and offered.publishes
    if server_sends and server_receives:
        return "sendrecv"
    if server_sends:
        return "sendonly"
    if server_receives:
        return "recvonly"
    return "inactive"
