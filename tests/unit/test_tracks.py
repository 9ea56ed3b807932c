"""Forwarding without decoding: frames from packets, rewritten timestamps, seams."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, VideoFrame
from av.packet import Packet

from rtc_server import aiortc_seams
from rtc_server.errors import NegotiationFailed
from rtc_server.frames import (
    AudioAssembler,
    EncodedFrame,
    TimestampUnwrapper,
    VideoAssembler,
    h264_begins_frame,
    h264_keyframe,
    seq_delta,
    vp8_begins_frame,
    vp8_keyframe,
)
from rtc_server.negotiation import (
    OfferedMedia,
    choose_codecs,
    read_offer,
    server_direction,
)
from rtc_server.publication import EncodedPublication
from rtc_server.timestamps import Timeline, TimestampRewriter, shift_frame
from rtc_server.tracks import DeliveryMeter, ForwardedTrack

VIDEO = Fraction(1, 90000)
KEY = b"\x00" + bytes(range(40))  # VP8 frame tag bit 0 clear: a key frame
DELTA = b"\x01" + bytes(range(40))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# -- timestamps ----------------------------------------------------------------


def test_a_stream_starts_at_zero_and_keeps_its_spacing() -> None:
    rewriter = TimestampRewriter(90000, Clock())
    assert [rewriter.rewrite(t) for t in (7_000_000, 7_003_000, 7_006_000)] == [
        0,
        3000,
        6000,
    ]


def test_a_new_publisher_continues_after_the_last_frame_by_real_time() -> None:
    clock = Clock()
    rewriter = TimestampRewriter(90000, clock)
    rewriter.rewrite(500)
    assert rewriter.rewrite(3500) == 3000
    clock.now += 0.5  # half a second without frames while the interpreter changed
    rewriter.switch()
    assert rewriter.rewrite(4_000_000_000) == 3000 + 45_000
    assert rewriter.rewrite(4_000_003_000) == 3000 + 45_000 + 3000


def test_rewritten_timestamps_never_go_back_or_repeat() -> None:
    clock = Clock()
    rewriter = TimestampRewriter(48000, clock)
    rewriter.rewrite(9600)
    assert rewriter.rewrite(9600) == 1
    assert rewriter.rewrite(0) == 2
    rewriter.switch()  # a switch with no time passed still moves forward
    assert rewriter.rewrite(123) == 3


def test_the_clock_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="clock rate"):
        TimestampRewriter(0)


def video(pts: int) -> VideoFrame:
    frame = VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="bgr24")
    frame.pts = pts
    frame.time_base = VIDEO
    return frame


def test_decoded_frames_pass_untouched_until_a_switch() -> None:
    timeline = Timeline(Clock())
    timeline.switch()  # the first source
    first = video(5000)
    assert timeline.stamp(first) is first
    second = video(8000)
    assert timeline.stamp(second) is second


def test_a_new_decoded_source_continues_after_the_last_frame() -> None:
    clock = Clock()
    timeline = Timeline(clock)
    for pts in (180_000, 183_000):
        timeline.stamp(video(pts))
    clock.now += 0.5
    timeline.switch()
    restarted = video(0)
    out = timeline.stamp(restarted)
    assert out is not restarted
    assert restarted.pts == 0  # the relay's shared frame is not changed
    assert out.pts == 183_000 + 45_000
    nxt = timeline.stamp(video(3000))
    assert nxt.pts == 183_000 + 45_000 + 3000


def test_audio_frames_can_be_restamped() -> None:
    frame = AudioFrame.from_ndarray(
        np.zeros((1, 960 * 2), np.int16), format="s16", layout="stereo"
    )
    frame.sample_rate = 48000
    frame.pts = 0
    frame.time_base = Fraction(1, 48000)
    copy = shift_frame(frame, 960)
    assert isinstance(copy, AudioFrame)
    assert (copy.pts, copy.sample_rate, copy.samples) == (960, 48000, 960)
    assert frame.pts == 0


@pytest.mark.parametrize(
    ("a", "b", "delta"), [(5, 3, 2), (3, 5, -2), (0, 65535, 1), (65535, 0, -1)]
)
def test_sequence_numbers_compare_across_the_wrap(a: int, b: int, delta: int) -> None:
    assert seq_delta(a, b) == delta


def test_rtp_timestamps_count_on_past_the_wrap() -> None:
    unwrap = TimestampUnwrapper()
    stamps = [2**32 - 3000, 2**32 - 1, 2**32 - 3000, 2000, 5000]
    assert [unwrap(t) for t in stamps] == [
        2**32 - 3000,
        2**32 - 1,
        2**32 - 3000,  # a late packet does not move the origin
        2**32 + 2000,
        2**32 + 5000,
    ]


# -- frames from packets ---------------------------------------------------------


def vp8_packets(
    first_seq: int, timestamp: int, frame: bytes, parts: int
) -> Iterator[tuple[int, int, bool, bytes, bytes]]:
    """(seq, ts, marker, payload, data) for one VP8 frame cut in ``parts``."""
    size = -(-len(frame) // parts)
    for i in range(parts):
        chunk = frame[i * size : (i + 1) * size]
        descriptor = b"\x10" if i == 0 else b"\x00"
        yield (
            (first_seq + i) & 0xFFFF,
            timestamp & 0xFFFFFFFF,
            i == parts - 1,
            descriptor + chunk,
            chunk,
        )


def feed(
    assembler: VideoAssembler | AudioAssembler,
    packets: Any,
    now: float = 0.0,
) -> list[EncodedFrame]:
    out: list[EncodedFrame] = []
    for seq, ts, marker, payload, data in packets:
        out += assembler.add(seq, ts, marker, payload, data, now)
    return out


def vp8_assembler(max_wait: float = 0.25) -> VideoAssembler:
    return VideoAssembler(vp8_keyframe, vp8_begins_frame, max_wait=max_wait)


def test_a_frame_is_released_at_its_marker_bit_not_at_the_next_frame() -> None:
    assembler = vp8_assembler()
    packets = list(vp8_packets(100, 9000, KEY, 3))
    assert feed(assembler, packets[:2]) == []
    (frame,) = feed(assembler, packets[2:], now=1.5)
    assert frame.data == KEY and frame.keyframe
    assert (frame.first_seq, frame.last_seq, frame.arrived_at) == (100, 102, 1.5)
    assert frame.timestamp == 9000


def test_frames_are_exactly_the_payloads_in_order() -> None:
    assembler = vp8_assembler()
    frames = [KEY, DELTA + b"a", DELTA + b"bb", DELTA + b"ccc"]
    packets = [
        p
        for i, data in enumerate(frames)
        for p in vp8_packets(10 + 2 * i, 3000 * i, data, 2)
    ]
    assert [f.data for f in feed(assembler, packets)] == frames


def test_nothing_is_released_before_a_keyframe() -> None:
    assembler = vp8_assembler()
    assert feed(assembler, vp8_packets(0, 0, DELTA, 2)) == []
    assert assembler.need_keyframe
    (frame,) = feed(assembler, vp8_packets(2, 3000, KEY, 2))
    assert frame.keyframe


def test_packets_out_of_order_within_a_frame() -> None:
    assembler = vp8_assembler()
    a, b, c = vp8_packets(7, 0, KEY, 3)
    assert feed(assembler, [a, c]) == []
    (frame,) = feed(assembler, [b])
    assert frame.data == KEY


def test_a_retransmission_fills_the_hole_and_frames_leave_in_order() -> None:
    assembler = vp8_assembler()
    feed(assembler, vp8_packets(0, 0, KEY, 2))
    lost, second = vp8_packets(2, 3000, DELTA + b"1", 2)
    third = list(vp8_packets(4, 6000, DELTA + b"2", 2))
    assert feed(assembler, [second, *third], now=0.1) == []  # held behind the hole
    frames = feed(assembler, [lost], now=0.2)  # the NACKed packet comes back
    assert [f.data for f in frames] == [DELTA + b"1", DELTA + b"2"]
    assert assembler.frames_dropped == 0


def test_a_loss_that_is_not_repaired_skips_to_the_next_keyframe() -> None:
    assembler = vp8_assembler(max_wait=0.25)
    feed(assembler, vp8_packets(0, 0, KEY, 2))
    _, second = vp8_packets(2, 3000, DELTA + b"1", 2)  # the first packet is lost
    assert feed(assembler, [second, *vp8_packets(4, 6000, DELTA, 1)], now=0.1) == []
    # After max_wait the deltas that depend on the lost packet are dropped...
    assert feed(assembler, vp8_packets(5, 9000, DELTA, 1), now=0.5) == []
    assert assembler.need_keyframe
    assembler.need_keyframe = False
    # ...until the keyframe the assembler asked for.
    frames = feed(assembler, vp8_packets(6, 12000, KEY + b"new", 2), now=0.6)
    assert [f.data for f in frames] == [KEY + b"new"]
    assert feed(assembler, vp8_packets(8, 15000, DELTA, 1), now=0.7)[0].data == DELTA


def test_duplicates_and_late_retransmissions_are_ignored() -> None:
    assembler = vp8_assembler()
    packets = list(vp8_packets(0, 0, KEY, 2))
    assert len(feed(assembler, packets)) == 1
    assert feed(assembler, packets) == []


def test_sequence_and_timestamp_wrap_around() -> None:
    assembler = vp8_assembler()
    frames = feed(
        assembler,
        [
            *vp8_packets(65534, 2**32 - 3000, KEY, 3),  # 65534, 65535, 0
            *vp8_packets(1, 0, DELTA, 2),
        ],
    )
    assert [(f.first_seq, f.last_seq) for f in frames] == [(65534, 0), (1, 2)]
    assert frames[1].timestamp - frames[0].timestamp == 3000


def test_a_frame_without_a_marker_bit_ends_where_the_next_one_starts() -> None:
    assembler = vp8_assembler()
    unmarked = [
        (seq, ts, False, payload, data)
        for i, body in enumerate((KEY, DELTA, DELTA + b"2"))
        for seq, ts, _, payload, data in vp8_packets(i, 3000 * i, body, 1)
    ]
    assert feed(assembler, unmarked[:1]) == []
    assert [f.data for f in feed(assembler, unmarked[1:2])] == [KEY]
    assert [f.timestamp for f in feed(assembler, unmarked[2:])] == [3000]


def test_a_flood_of_packets_that_never_make_a_frame_is_bounded() -> None:
    assembler = VideoAssembler(vp8_keyframe, vp8_begins_frame, capacity=16)
    for seq in range(1, 40):  # one frame whose first packet (seq 0) never comes
        assembler.add(seq, 3000, False, b"\x00\x01", b"\x01", 0.0)
    assert assembler.pending <= 16
    (frame,) = feed(assembler, vp8_packets(40, 6000, KEY, 1))
    assert frame.keyframe


def test_every_audio_packet_is_a_frame_and_late_ones_are_dropped() -> None:
    assembler = AudioAssembler()
    assert [f.data for f in feed(assembler, [(5, 960, True, b"a", b"a")])] == [b"a"]
    assert feed(assembler, [(4, 0, False, b"z", b"z")]) == []
    (frame,) = feed(assembler, [(7, 2880, False, b"c", b"c")])
    assert (frame.data, frame.timestamp, frame.keyframe) == (b"c", 2880, True)


def test_keyframes_are_recognised() -> None:
    assert vp8_keyframe(KEY) and not vp8_keyframe(DELTA) and not vp8_keyframe(b"")
    assert vp8_begins_frame(b"\x90\x80\x01") and not vp8_begins_frame(b"\x80\x00")
    sps, idr, slice_ = b"\x00\x00\x00\x01\x67", b"\x00\x00\x01\x65", b"\x00\x00\x01\x41"
    assert h264_keyframe(sps + b"\x42\x00" + idr + b"\x88")
    assert h264_keyframe(idr + b"\x88\x84")
    assert not h264_keyframe(slice_ + b"\x9a" + slice_ + b"\x9b")


@pytest.mark.parametrize(
    ("payload", "begins"),
    [
        (b"\x67\x42\x00", True),  # SPS
        (b"\x65\x88\x84", True),  # IDR slice, first_mb_in_slice 0
        (b"\x41\x9a\x00", True),  # non-IDR slice, first_mb_in_slice 0
        (b"\x41\x1a\x00", False),  # a later slice of the same picture
        (b"\x18\x00\x02\x67\x42\x00\x02\x68\xce", True),  # STAP-A of SPS, PPS
        (b"\x7c\x85\x88\x84", True),  # FU-A start of an IDR slice
        (b"\x7c\x05\x11\x22", False),  # FU-A middle fragment
        (b"\x7c\x45\x11\x22", False),  # FU-A end fragment
        (b"\x67", False),
    ],
)
def test_h264_frame_starts_are_recognised(payload: bytes, begins: bool) -> None:
    assert h264_begins_frame(payload) is begins


def test_an_h264_stream_is_picked_up_at_its_first_packet() -> None:
    assembler = VideoAssembler(h264_keyframe, h264_begins_frame)
    sps = b"\x00\x00\x00\x01\x67\x42"
    idr_start, idr_end = b"\x00\x00\x00\x01\x65\x88", b"\x84\x00"
    frames = feed(
        assembler,
        [
            (500, 0, False, b"\x67\x42", sps),
            (501, 0, False, b"\x7c\x85\x88", idr_start),
            (502, 0, True, b"\x7c\x45\x84\x00", idr_end),
        ],
    )
    assert [f.data for f in frames] == [sps + idr_start + idr_end]
    assert frames[0].keyframe


# -- subscriptions and slots ----------------------------------------------------------


def frame(data: bytes, timestamp: int, keyframe: bool) -> EncodedFrame:
    return EncodedFrame(data, timestamp, keyframe, 0.0, 0, 0)


async def test_a_video_subscription_starts_at_a_keyframe_and_gives_packets() -> None:
    pc = RTCPeerConnection()
    try:
        receiver = pc.addTransceiver("video", direction="recvonly").receiver
        publication = EncodedPublication("citizen", "video", "video/VP8", receiver)
        subscription = publication.subscribe()
        assert subscription.waiting_keyframe
        subscription.deliver(frame(DELTA, 0, False))
        subscription.deliver(frame(KEY, 3000, True))
        subscription.deliver(frame(DELTA, 6000, False))
        packet = await subscription.recv()
        assert (bytes(packet), packet.pts, packet.is_keyframe) == (KEY, 3000, True)
        assert packet.time_base == VIDEO
        assert bytes(await subscription.recv()) == DELTA
        assert subscription.dropped == 1
        publication.close()
        with pytest.raises(MediaStreamError):
            await subscription.recv()
    finally:
        await pc.close()


class FakeSubscription:
    """A subscription fed by the test: real packets, a real queue."""

    kind = "video"
    clock_rate = 90000

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Packet[Any] | None] = asyncio.Queue()
        self.keyframes_requested = 0
        self.stopped = False

    def push(self, pts: int) -> None:
        packet: Packet[Any] = Packet(b"frame")
        packet.pts = pts
        self.queue.put_nowait(packet)

    async def recv(self) -> Packet[Any]:
        packet = await self.queue.get()
        if packet is None:
            raise MediaStreamError
        return packet

    def arrival_of(self, item: object) -> float | None:
        return 99.0

    def request_keyframe(self) -> None:
        self.keyframes_requested += 1

    def stop(self) -> None:
        self.stopped = True
        self.queue.put_nowait(None)


async def test_a_slot_keeps_its_timestamps_rising_when_its_publisher_changes() -> None:
    clock = Clock()
    track = ForwardedTrack("video", clock=clock)
    old, new = FakeSubscription(), FakeSubscription()
    track.attach(old, "interpreter-1")
    for pts in (1_000_000, 1_003_000):
        old.push(pts)
    assert [(await track.recv()).pts for _ in range(2)] == [0, 3000]
    clock.now += 1.0
    track.attach(new, "interpreter-2")  # warm transfer
    assert old.stopped and track.publisher == "interpreter-2"
    new.push(77)
    new.push(3077)
    assert [(await track.recv()).pts for _ in range(2)] == [93_000, 96_000]
    track.request_keyframe()
    assert (old.keyframes_requested, new.keyframes_requested) == (0, 1)
    track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()


async def test_a_slot_waits_for_the_next_publisher_when_one_leaves() -> None:
    track = ForwardedTrack("video")
    first = FakeSubscription()
    track.attach(first, "counselor")
    reading = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0)
    first.stop()  # the counselor's connection ended
    await asyncio.sleep(0)
    assert not reading.done()
    second = FakeSubscription()
    track.attach(second, "counselor")
    second.push(5)
    packet = await asyncio.wait_for(reading, 5)
    assert isinstance(packet, Packet)
    track.stop()


def test_delivery_is_counted_over_a_window() -> None:
    clock = Clock()
    meter = DeliveryMeter(window=2.0, clock=clock)
    for _ in range(60):
        clock.now += 1 / 30
        meter.frame(clock.now)
        meter.latency(clock.now, 0.0004)
    stats = meter.stats()
    assert stats.fps == 30.0 and stats.frames == 60
    assert stats.added_latency_ms[0] == 0.4
    clock.now += 10
    assert meter.stats().fps == 0.0


# -- negotiation ----------------------------------------------------------------


def sdp(*media: tuple[str, str, str, str]) -> str:
    lines = ["v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0"]
    for kind, mid, direction, codecs in media:
        names = codecs.split()
        pts = " ".join(str(96 + i) for i in range(len(names)))
        lines.append(f"m={kind} 9 UDP/TLS/RTP/SAVPF {pts}")
        lines += [f"a=mid:{mid}", f"a={direction}"]
        clock = "48000/2" if kind == "audio" else "90000"
        lines += [f"a=rtpmap:{96 + i} {n}/{clock}" for i, n in enumerate(names)]
    return "\r\n".join(lines) + "\r\n"


def test_an_offer_names_what_a_party_publishes_and_where_it_receives() -> None:
    offer = read_offer(
        sdp(
            ("audio", "0", "sendrecv", "opus"),
            ("video", "1", "sendrecv", "VP8 H264"),
            ("video", "2", "recvonly", "VP8 H264"),
        )
    )
    assert offer == [
        OfferedMedia("0", "audio", "sendrecv", ("audio/opus",)),
        OfferedMedia("1", "video", "sendrecv", ("video/vp8", "video/h264")),
        OfferedMedia("2", "video", "recvonly", ("video/vp8", "video/h264")),
    ]
    assert [m.publishes for m in offer] == [True, True, False]
    assert all(m.is_slot for m in offer)


def test_an_unreadable_offer_is_refused() -> None:
    with pytest.raises(NegotiationFailed):
        read_offer("not sdp at all")


def test_the_room_keeps_the_first_codec_and_holds_later_parties_to_it() -> None:
    first = read_offer(sdp(("video", "0", "sendrecv", "H264 VP8")))
    assert choose_codecs(first, {}) == {"video": "video/vp8"}
    h264_only = read_offer(sdp(("video", "0", "sendrecv", "H264")))
    assert choose_codecs(h264_only, {}) == {"video": "video/h264"}
    with pytest.raises(NegotiationFailed, match="video codec is video/vp8"):
        choose_codecs(h264_only, {"video": "video/vp8"})
    with pytest.raises(NegotiationFailed, match="no video codec"):
        choose_codecs(read_offer(sdp(("video", "0", "sendrecv", "AV1"))), {})


@pytest.mark.parametrize(
    ("direction", "receive", "server"),
    [
        ("sendrecv", True, "sendrecv"),
        ("sendrecv", False, "sendonly"),  # a supervisor's camera is not taken
        ("recvonly", True, "sendonly"),  # a slot
        ("sendonly", True, "recvonly"),
        ("sendonly", False, "inactive"),
        ("inactive", True, "inactive"),
    ],
)
def test_the_server_side_of_each_m_line(
    direction: str, receive: bool, server: str
) -> None:
    offered = OfferedMedia("0", "video", direction, ("video/vp8",))
    assert server_direction(offered, receive) == server


# -- the aiortc internals we rely on -----------------------------------------------


def test_the_installed_aiortc_still_has_the_internals_we_use() -> None:
    aiortc_seams.check()  # fails loudly, naming what changed


async def test_a_receiver_hands_its_packets_over_instead_of_decoding() -> None:
    pc = RTCPeerConnection()
    try:
        receiver = pc.addTransceiver("video", direction="recvonly").receiver
        seen: list[aiortc_seams.ReceivedPacket] = []
        aiortc_seams.take_packets(receiver, seen.append)
        buffer = receiver._RTCRtpReceiver__jitter_buffer  # type: ignore[attr-defined]

        class Packet_:
            ssrc, sequence_number, timestamp, marker = 7, 1, 90, 1
            payload, _data = b"\x10\x00", b"\x00"

        assert buffer.add(Packet_()) == (False, None)  # nothing for the decoder
        assert seen == [
            aiortc_seams.ReceivedPacket(7, 1, 90, True, b"\x10\x00", b"\x00")
        ]
    finally:
        await pc.close()
