"""Encoded frames put together from RTP packets as they arrive, never decoded.

A video frame is complete when every packet from its first to the one carrying
the marker bit is here; it is released at once (no waiting for the next frame).
Frames leave in order. A hole that retransmission does not fill within
``max_wait`` seconds is given up: the frames after it would not decode, so the
assembler drops them until a keyframe and raises ``need_keyframe``. Audio
packets are frames of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

NO_FRAMES: tuple[EncodedFrame, ...] = ()


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One encoded frame, exactly as the publisher's encoder produced it."""

    data: bytes
    timestamp: int  # RTP clock units, counted on past the 32-bit wrap-around
    keyframe: bool
    arrived_at: float  # when its last packet arrived (the caller's clock)
    first_seq: int
    last_seq: int


def seq_delta(a: int, b: int) -> int:
    """``a - b`` for 16-bit sequence numbers, in -32768..32767."""
    return ((a - b + 0x8000) & 0xFFFF) - 0x8000


class TimestampUnwrapper:
    """Counts 32-bit RTP timestamps on past their wrap-around."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: int | None = None

    def __call__(self, timestamp: int) -> int:
        if self._last is None:
            self._last = timestamp
            return timestamp
        step = ((timestamp - self._last + 0x80000000) & 0xFFFFFFFF) - 0x80000000
        extended = self._last + step
        if step > 0:
            self._last = extended
        return extended


# Codec rules. ``data`` is a frame without payload descriptors; ``payload`` is
# one RTP payload as received.


def vp8_keyframe(data: bytes) -> bool:
    """RFC 6386 9.1: bit 0 of the frame tag is 0 on a key frame."""
    return bool(data) and not data[0] & 0x01


def vp8_begins_frame(payload: bytes) -> bool:
    """RFC 7741 4.2: S set and partition index 0 on a frame's first packet."""
    return bool(payload) and payload[0] & 0x1F == 0x10


def h264_keyframe(data: bytes) -> bool:
    """An access unit with an IDR slice (5) or a sequence parameter set (7)."""
    at = data.find(b"\x00\x00\x01")
    while at >= 0 and at + 3 < len(data):
        if data[at + 3] & 0x1F in (5, 7):
            return True
        at = data.find(b"\x00\x00\x01", at + 3)
    return False


def _h264_nal_begins(header: int, next_byte: int | None) -> bool:
    kind = header & 0x1F
    if kind in (6, 7, 8, 9):  # SEI, SPS, PPS, access unit delimiter
        return True
    # A slice whose first_mb_in_slice is 0 (ue(v) "1") starts a picture.
    return kind in (1, 5) and next_byte is not None and bool(next_byte & 0x80)


def h264_begins_frame(payload: bytes) -> bool:
    """RFC 6184: a single NAL unit, STAP-A or first FU-A fragment that opens
    an access unit."""
    if len(payload) < 2:
        return False
    kind = payload[0] & 0x1F
    if kind == 24:  # STAP-A: look at the first aggregated unit
        return len(payload) > 3 and _h264_nal_begins(
            payload[3], payload[4] if len(payload) > 4 else None
        )
    if kind == 28:  # FU-A: only its start fragment, rebuilt header in byte 1
        return bool(payload[1] & 0x80) and _h264_nal_begins(
            payload[1], payload[2] if len(payload) > 2 else None
        )
    return kind < 24 and _h264_nal_begins(payload[0], payload[1])


def always(_: bytes) -> bool:
    return True


def never(_: bytes) -> bool:
    return False


KEYFRAME_RULES: dict[str, Callable[[bytes], bool]] = {
    "video/vp8": vp8_keyframe,
    "video/h264": h264_keyframe,
}
BEGIN_RULES: dict[str, Callable[[bytes], bool]] = {
    "video/vp8": vp8_begins_frame,
    "video/h264": h264_begins_frame,
}


class AudioAssembler:
    """Every audio packet is a frame; one older than the last released is late."""

    need_keyframe = False

    def __init__(self) -> None:
        self._next: int | None = None
        self._unwrap = TimestampUnwrapper()

    def add(
        self,
        seq: int,
        timestamp: int,
        marker: bool,
        payload: bytes,
        data: bytes,
        now: float,
    ) -> tuple[EncodedFrame, ...]:
        if self._next is not None and seq_delta(seq, self._next) < 0:
            return NO_FRAMES
        self._next = (seq + 1) & 0xFFFF
        return (EncodedFrame(data, self._unwrap(timestamp), True, now, seq, seq),)


class VideoAssembler:
    """Video frames from packets, by marker bit, in order, from a keyframe on."""

    def __init__(
        self,
        keyframe: Callable[[bytes], bool],
        begins_frame: Callable[[bytes], bool] = never,
        max_wait: float = 0.25,
        capacity: int = 1024,
    ) -> None:
        if max_wait <= 0 or capacity < 16:
            raise ValueError("max_wait must be positive and capacity at least 16")
        self._keyframe = keyframe
        self._begins = begins_frame
        self._max_wait = max_wait
        self._capacity = capacity
        self._unwrap = TimestampUnwrapper()
        # seq -> (extended timestamp, marker, payload, data, arrival)
        self._packets: dict[int, tuple[int, bool, bytes, bytes, float]] = {}
        self._next: int | None = None  # first packet of the next frame to release
        self._highest = 0
        self._hole_since: float | None = None
        self._keyframe_wanted = True
        self.need_keyframe = False  # the owner asks the publisher, then clears it
        self.frames_dropped = 0

    @property
    def pending(self) -> int:
        """Packets held: waiting for the rest of their frame or for a hole."""
        return len(self._packets)

    def add(
        self,
        seq: int,
        timestamp: int,
        marker: bool,
        payload: bytes,
        data: bytes,
        now: float,
    ) -> tuple[EncodedFrame, ...]:
        if seq in self._packets or (
            self._next is not None and seq_delta(seq, self._next) < 0
        ):
            return NO_FRAMES  # a duplicate, or a retransmission too late to use
        if len(self._packets) >= self._capacity:
            self._resync()
        extended = self._unwrap(timestamp)
        packets = self._packets
        previous = packets.get((seq - 1) & 0xFFFF)
        if not packets or seq_delta(seq, self._highest) > 0:
            self._highest = seq
        packets[seq] = (extended, marker, payload, data, now)
        if (
            previous is not None
            and not marker
            and previous[0] == extended
            and self._highest == seq
            and self._hole_since is None
            and self._next is not None
        ):
            return NO_FRAMES  # the middle of a frame, in order: nothing to release
        if self._next is None:
            self._next = self._first_frame_start(None)
            if self._next is None:
                return NO_FRAMES
        released = self._release()
        if self._next is not None and self._packets:
            self._watch_hole(now)
            if self._hole_since is not None and now - self._hole_since > self._max_wait:
                self._skip_hole()
                released += self._release()
        return released

    def _starts_frame(self, seq: int) -> bool:
        entry = self._packets.get(seq)
        if entry is None:
            return False
        before = self._packets.get((seq - 1) & 0xFFFF)
        if before is not None:
            return before[1] or before[0] != entry[0]
        return self._begins(entry[2])

    def _first_frame_start(self, after: int | None) -> int | None:
        """The earliest packet that surely starts a frame (after ``after``)."""
        candidates = sorted(
            (seq for seq in self._packets if self._starts_frame(seq)),
            key=lambda s: seq_delta(s, self._highest),
        )
        for seq in candidates:
            if after is None or seq_delta(seq, after) > 0:
                self._forget_before(seq)
                return seq
        return None

    def _forget_before(self, seq: int) -> None:
        for old in [s for s in self._packets if seq_delta(s, seq) < 0]:
            del self._packets[old]

    def _release(self) -> tuple[EncodedFrame, ...]:
        out: list[EncodedFrame] = []
        while self._next is not None:
            frame = self._complete_at(self._next)
            if frame is None:
                break
            self._hole_since = None
            if self._keyframe_wanted and not frame.keyframe:
                self.frames_dropped += 1
                self.need_keyframe = True
                continue
            self._keyframe_wanted = False
            out.append(frame)
        return tuple(out)

    def _complete_at(self, start: int) -> EncodedFrame | None:
        """Take out the frame starting at ``start`` if all its packets are here."""
        first = self._packets.get(start)
        if first is None:
            return None
        timestamp = first[0]
        seq, last, parts = start, start, []
        while True:
            entry = self._packets.get(seq)
            if entry is None:
                return None
            if entry[0] != timestamp:
                break  # the next frame began without a marker bit on this one
            parts.append(entry[3])
            last = seq
            if entry[1]:
                break
            seq = (seq + 1) & 0xFFFF
            if seq == start:
                return None
        arrived = self._packets[last][4]
        at = start
        while True:
            del self._packets[at]
            if at == last:
                break
            at = (at + 1) & 0xFFFF
        self._next = (last + 1) & 0xFFFF
        data = b"".join(parts)
        return EncodedFrame(data, timestamp, self._keyframe(data), arrived, start, last)

    def _watch_hole(self, now: float) -> None:
        """A hole is a missing packet with later ones already here."""
        assert self._next is not None
        span = seq_delta(self._highest, self._next) + 1
        if len(self._packets) < span:
            if self._hole_since is None:
                self._hole_since = now
        else:
            self._hole_since = None

    def _skip_hole(self) -> None:
        """Give up the missing packets: go on from a keyframe after them."""
        assert self._next is not None
        self.frames_dropped += 1
        self._hole_since = None
        self._keyframe_wanted = True
        self.need_keyframe = True
        gap = self._next
        while gap in self._packets:
            gap = (gap + 1) & 0xFFFF
        self._next = self._first_frame_start(gap)
        if self._next is None:
            self._forget_before((self._highest + 1) & 0xFFFF)

    def _resync(self) -> None:
        self._packets.clear()
        self._next = None
        self._hole_since = None
        self._keyframe_wanted = True
        self.need_keyframe = True
