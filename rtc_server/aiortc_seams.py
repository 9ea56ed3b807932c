"""Every use of aiortc's private internals, in one place: written against aiortc 1.16.

aiortc's public API sends pre-encoded frames (a track whose ``recv`` returns
``av.Packet``) but has no way to take encoded frames off a receiver, to see a
subscriber's keyframe request, or to ask a publisher for one. Three small seams do:

- ``RTCRtpReceiver._RTCRtpReceiver__jitter_buffer``: the receiver hands it each
  RTP packet after statistics, NACK generation and RTX unwrapping, with the
  codec payload already unpacked in ``packet._data``. We put a ``PacketSink``
  there; it returns nothing to decode, so the decoder thread stays idle.
  The stock buffer also only releases a frame when the next frame's first packet
  arrives (one frame of delay, four for audio); our sink ends a frame at its
  marker bit.
- ``RTCRtpSender._send_keyframe``: called when the subscriber sends PLI or FIR.
- ``RTCRtpReceiver._send_rtcp_pli(media_ssrc)``: sends PLI to the publisher.

``check()`` fails loudly when an aiortc outside ``SUPPORTED`` changes any of
them; ``tests/unit/test_tracks.py`` runs it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.jitterbuffer import JitterBuffer, JitterFrame

# aiortc versions whose internals this module was written and tested against;
# pyproject.toml pins aiortc to this range.
SUPPORTED = ("1.16",)

_BUFFER = "_RTCRtpReceiver__jitter_buffer"


class AiortcChanged(RuntimeError):
    """The installed aiortc no longer has an internal this module relies on."""


@dataclass(frozen=True, slots=True)
class ReceivedPacket:
    """One RTP packet as the receiver passes it on (RTX already unwrapped)."""

    ssrc: int
    sequence_number: int
    timestamp: int
    marker: bool
    payload: bytes  # as received: the codec's payload descriptor first
    data: bytes  # the codec payload without its descriptor


PacketSink = Callable[[ReceivedPacket], None]


class _SinkBuffer:
    """Stands in for the receiver's JitterBuffer; gives the decoder nothing."""

    __slots__ = ("_sink",)

    def __init__(self, sink: PacketSink) -> None:
        self._sink = sink

    def add(self, packet: Any) -> tuple[bool, JitterFrame | None]:
        self._sink(
            ReceivedPacket(
                packet.ssrc,
                packet.sequence_number,
                packet.timestamp,
                bool(packet.marker),
                packet.payload,
                packet._data,
            )
        )
        return False, None


def check() -> None:
    """Raise ``AiortcChanged`` if an internal we rely on is missing."""
    installed = version("aiortc")
    problems: list[str] = []
    if not any(installed == v or installed.startswith(v + ".") for v in SUPPORTED):
        problems.append(f"aiortc {installed} is not one of {SUPPORTED}")
    if _BUFFER not in RTCRtpReceiver._handle_rtp_packet.__code__.co_names:
        problems.append("RTCRtpReceiver no longer feeds its __jitter_buffer")
    if not callable(getattr(RTCRtpReceiver, "_send_rtcp_pli", None)):
        problems.append("RTCRtpReceiver._send_rtcp_pli is gone")
    if not callable(getattr(RTCRtpSender, "_send_keyframe", None)):
        problems.append("RTCRtpSender._send_keyframe is gone")
    if "_send_keyframe" not in RTCRtpSender._handle_rtcp_packet.__code__.co_names:
        problems.append("RTCRtpSender no longer calls _send_keyframe on PLI/FIR")
    if "_data" not in RTCRtpReceiver._handle_rtp_packet.__code__.co_names:
        problems.append("RTCRtpReceiver no longer sets packet._data")
    if problems:
        raise AiortcChanged("; ".join(problems))


def take_packets(receiver: RTCRtpReceiver, sink: PacketSink) -> None:
    """Send the receiver's packets to ``sink`` and stop it from decoding."""
    if not isinstance(getattr(receiver, _BUFFER, None), JitterBuffer | _SinkBuffer):
        raise AiortcChanged("RTCRtpReceiver has no jitter buffer to replace")
    setattr(receiver, _BUFFER, _SinkBuffer(sink))


def watch_arrivals(
    receiver: RTCRtpReceiver, on_packet: Callable[[int], None]
) -> Callable[[int], int | None]:
    """Keep aiortc's buffer and decoder, and see each packet's RTP timestamp.

    ``on_packet`` is called as each packet arrives. The returned function turns
    a decoded frame's ``pts`` back into its RTP timestamp: aiortc counts ``pts``
    from the first frame its buffer releases, taking 2**32 off that origin each
    time the RTP timestamp wraps.
    """
    found = getattr(receiver, _BUFFER, None)
    if not isinstance(found, JitterBuffer):
        raise AiortcChanged("RTCRtpReceiver has no jitter buffer to watch")
    inner: JitterBuffer = found
    origin: list[int] = []

    class Watching:
        def add(self, packet: Any) -> tuple[bool, JitterFrame | None]:
            on_packet(packet.timestamp)
            pli, frame = inner.add(packet)
            if frame is not None and not origin:
                origin.append(frame.timestamp)
            return pli, frame

    setattr(receiver, _BUFFER, Watching())

    def rtp_timestamp(pts: int) -> int | None:
        return (origin[0] + pts) & 0xFFFFFFFF if origin else None

    return rtp_timestamp


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` instead of aiortc's encoder flag when PLI or FIR arrives."""
    sender._send_keyframe = callback  # type: ignore[method-assign]


def request_keyframe(receiver: RTCRtpReceiver, media_ssrc: int) -> asyncio.Task[None]:
    """Send PLI for ``media_ssrc`` through ``receiver``'s RTCP."""
    return asyncio.ensure_future(receiver._send_rtcp_pli(media_ssrc))
